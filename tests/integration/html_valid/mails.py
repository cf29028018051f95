"""Every kind of mail's HTML part, rendered by the mailer from sample data."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from zoneinfo import ZoneInfo

from services.mailer.domain.alert_mail import render_alert, render_topic_ended
from services.mailer.domain.bulletin_mail import bulletin_context, render_bulletin
from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.digest_mail import render_digest
from services.mailer.domain.mail_templates import build_environment
from services.mailer.domain.manage_link_mail import render_manage_link
from services.mailer.domain.mime import RecipientLinks, RenderedMail
from services.mailer.domain.operator_mail import render_operator_mail
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.removal_mail import render_page_removed
from services.mailer.domain.views import ChangeView, build_digest_sections
from services.mailer.previews import SAMPLE_BULLETIN
from shared.brand import Brand
from shared.events import SourceFailing, SourceRecovered
from tests.integration.html_valid import HOSTILE

SENT_AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
MAILS = [
    "mail confirm",
    "mail confirm in English",
    "mail confirm in nynorsk",
    "mail confirm with a logo",
    "mail manage link",
    "mail alert",
    "mail alert without a link",
    "mail digest",
    "mail digest in nynorsk",
    "mail topic ended",
    "mail topic ended in nynorsk",
    "mail page removed",
    "mail page removed in English",
    "mail bulletin",
    "mail bulletin in nynorsk",
    "mail digest with a bulletin",
    "mail operator failing",
    "mail operator recovered",
]
LINKS = RecipientLinks(
    manage_url="https://varsel.fhi.no/manage/s1.YWJj",
    unsubscribe_url="https://varsel.fhi.no/unsubscribe/s1.ZGVm",
    one_click_url="https://varsel.fhi.no/one-click/s1.Z2hp",
)
COMMON = {"sender": "FHI <varsel@fhi.no>", "base_url": "https://www.fhi.no"}
# What an editor could write: raw HTML is shown as text, headings and lists are allowed.
HOSTILE_BULLETIN = {
    "nb": {
        "subject": HOSTILE,
        "body": f"# Overskrift\n\n{HOSTILE}\n\n- a\n- [lenke](javascript:x)",
    },
    "en": {"subject": "Notice", "body": "Text."},
}


def _html_part(mail: RenderedMail) -> str:
    raw = mail.personalise(
        to="kari@example.no", links=LINKS, message_id=f"<{uuid.uuid4()}@fhi.no>", date=SENT_AT
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    return str(html.get_content())


def render_mails() -> dict[str, str]:
    env = build_environment()
    change = ChangeView(
        title=HOSTILE,
        url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
        topic_slugs=("norge-i-verden", "vaksiner"),
        topic_titles=("Norge i verden", "Vaksiner"),
        published=datetime(2024, 3, 3).date(),
        updated=datetime(2025, 8, 18).date(),
        summary="«Hva vil vi?»: Et nytt avsnitt.\nFjernet: <b>gammel</b> tekst",
        occurred_at=SENT_AT - timedelta(hours=3),
    )
    linkless = ChangeView(
        title="Relativ sak",
        url="/nyheter/relativ-sak",
        topic_slugs=("norge-i-verden",),
        topic_titles=("Norge i verden",),
        occurred_at=SENT_AT - timedelta(hours=2),
    )
    # An earlier edit of the same page: the digest lists it under the latest version.
    earlier = replace(
        change, summary="Endret: <i>første</i> avsnitt.", occurred_at=SENT_AT - timedelta(hours=5)
    )
    confirm = {"confirm_url": "https://varsel.fhi.no/confirm/c1.YWJj", "expires_days": 7}
    alert = {"topic_title": "Norge i verden", "list_id": "varsel.fhi.no", **COMMON}
    topics = {"norge-i-verden": "Norge i verden", "vaksiner": "Vaksiner"}
    sections = build_digest_sections(
        [earlier, change, linkless], topics, per_topic_limit=1, more_url=lambda _: None
    )
    oslo = ZoneInfo("Europe/Oslo")
    failing = SourceFailing(
        source_id=1,
        source_url="https://www.fhi.no/side",
        title=HOSTILE,
        failures=5,
        last_error="HTTP 503 <html>",
    )
    recovered = SourceRecovered(
        source_id=1, source_url="https://www.fhi.no/side", title="Side", failures=5, last_error="x"
    )
    operator = {"site": "fhi.no", "base_url": "https://www.fhi.no", "admin_url": "https://a.no"}
    return {
        "mail confirm": _html_part(
            render_confirm(
                env,
                language="nb",
                topics=["Norge i verden", HOSTILE],
                existing_topics=["Vaksiner"],
                frequency="daily",
                previous_frequency="weekly",
                privacy_url="https://www.fhi.no/personvern",
                **confirm,
                **COMMON,
            )
        ),
        "mail confirm in English": _html_part(
            render_confirm(
                env, language="en", topics=["Norway"], frequency="weekly", **confirm, **COMMON
            )
        ),
        "mail confirm with a logo": _html_part(
            render_confirm(
                env,
                language="nb",
                topics=["Norge i verden"],
                frequency="weekly",
                brand=Brand(accent="#a4001d", logo_path="/brand/logo.svg"),
                **confirm,
                **COMMON,
            )
        ),
        "mail confirm in nynorsk": _html_part(
            render_confirm(
                env,
                language="nn",
                topics=["Noreg i verda", HOSTILE],
                existing_topics=["Vaksinar"],
                frequency="daily",
                previous_frequency="immediate",
                **confirm,
                **COMMON,
            )
        ),
        "mail manage link": _html_part(
            render_manage_link(
                env,
                language="nb",
                manage_url="https://varsel.fhi.no/manage/m1.YWJj",
                expires_hours=1,
                **COMMON,
            )
        ),
        "mail alert": _html_part(render_alert(env, language="nb", change=change, **alert)),
        "mail alert without a link": _html_part(
            render_alert(env, language="en", change=linkless, **alert)
        ),
        "mail digest": _html_part(
            render_digest(
                env,
                language="nb",
                period=period_ending_at_or_before("daily", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail digest in nynorsk": _html_part(
            render_digest(
                env,
                language="nn",
                period=period_ending_at_or_before("weekly", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail topic ended": _html_part(
            render_topic_ended(
                env,
                language="nb",
                topic_title=HOSTILE,
                successor_title="Helsenyheter",
                successor_url="https://varsel.fhi.no/subscribe/helsenyheter",
                frequency="immediate",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail topic ended in nynorsk": _html_part(
            render_topic_ended(
                env,
                language="nn",
                topic_title="Noreg i verda",
                successor_title=None,
                successor_url=None,
                frequency="weekly",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail page removed": _html_part(
            render_page_removed(
                env,
                language="nb",
                page_title=HOSTILE,
                page_url="https://www.fhi.no/vaksiner/",
                moved_to="https://www.fhi.no/vaksinasjon/",
                topic_titles=[HOSTILE, "Vaksiner"],
                frequency="daily",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail page removed in English": _html_part(
            render_page_removed(
                env,
                language="en",
                page_title="Vaccines",
                page_url="https://www.fhi.no/vaksiner/",
                moved_to=None,
                topic_titles=["Vaccines"],
                frequency="immediate",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail bulletin": _html_part(
            render_bulletin(
                env,
                language="nb",
                texts=HOSTILE_BULLETIN,
                topic_titles=[HOSTILE, "Helsenyheter"],
                frequency="daily",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail bulletin in nynorsk": _html_part(
            render_bulletin(
                env,
                language="nn",
                texts=SAMPLE_BULLETIN,
                topic_titles=["Helsenyheter"],
                frequency="immediate",
                list_id="varsel.fhi.no",
                test=True,
                **COMMON,
            )
        ),
        "mail digest with a bulletin": _html_part(
            render_digest(
                env,
                language="nb",
                period=period_ending_at_or_before("daily", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                bulletins=[bulletin_context(HOSTILE_BULLETIN, "nb", level=2)],
                **COMMON,
            )
        ),
        "mail operator failing": render_operator_mail(env, failing, **operator).html,
        "mail operator recovered": render_operator_mail(env, recovered, **operator).html,
    }
