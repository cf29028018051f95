"""The mail wording: dates, lists and plurals per language, and no untranslated word in a mail.

That every message exists in every language, with its placeholders, is checked for all
catalogues in ``tests/unit/i18n``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.mailer.domain.alert_mail import render_alert
from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.digest_mail import render_digest
from services.mailer.domain.mail_templates import TEMPLATES_DIR
from services.mailer.domain.manage_link_mail import render_manage_link
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.views import build_digest_sections
from services.mailer.domain.wording import frequency_name, normalise_language, quoted_list
from tests.support.words import words


def test_each_mail_is_a_folder_with_subject_and_two_bodies() -> None:
    for name in ("alert", "digest", "confirm", "manage_link"):
        folder = Path(TEMPLATES_DIR) / name
        assert sorted(p.name for p in folder.iterdir()) == ["body.html", "body.txt", "subject.txt"]


def test_dates_lists_and_plurals_follow_each_language() -> None:
    nb, nn, en = words("mails", "nb"), words("mails", "nn"), words("mails", "en")
    assert nb.format_date(date(2022, 8, 18)) == "18. august 2022"
    assert nn.format_date(date(2022, 8, 18)) == "18. august 2022"
    assert en.format_date(date(2022, 8, 18)) == "18 August 2022"
    assert nn.format_date(date(2022, 3, 1)) == "1. mars 2022"
    oslo = ZoneInfo("Europe/Oslo")
    moment = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert nn.format_datetime(moment, oslo) == "23. november 2026 kl. 07:00"
    assert en.format_datetime(moment, oslo) == "23 November 2026, 07:00"
    assert quoted_list(nb, ["A", "B", "C"]) == "«A», «B» og «C»"
    assert quoted_list(nn, ["A", "B"]) == "«A» og «B»"
    assert quoted_list(en, ["A", "B"]) == "“A” and “B”"
    change = ("%(num)d change", "%(num)d changes")
    assert nb.ngettext(*change, 1) == "1 endring"
    assert nb.ngettext(*change, 0) == "0 endringer"
    assert nn.ngettext(*change, 2) == "2 endringar"
    assert en.ngettext(*change, 2) == "2 changes"
    assert frequency_name(nn, "weekly") == "vekentleg"
    assert normalise_language("NB-no") == "nb"
    assert normalise_language("no") == "nb"
    assert normalise_language("nn-NO") == "nn"
    with pytest.raises(ValueError):
        normalise_language("sv")


NORWEGIAN_ONLY = re.compile(
    r"\b(varsler|varslene|endring|endringer|Publisert|Oppdatert|Hyppighet|lenken|"
    r"Bekreft|e-postadressen|Avslutt|oppsummering|Daglig|Ukentlig|personvern|ingenting)\b",
    re.IGNORECASE,
)


def test_english_mails_contain_no_norwegian_words(env, make_change, links, parse_mail) -> None:
    # The English catalogue might be complete and a template still spell a Norwegian word.
    change = make_change(
        title="Global health report",
        summary="A new section on global health.",
        topic_titles=("Global health",),
    )
    identity = {"sender": "NIPH <alerts@fhi.no>", "base_url": "https://www.fhi.no/en"}
    period = period_ending_at_or_before(
        "weekly", datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tz=ZoneInfo("Europe/Oslo")
    )
    mails = [
        render_alert(
            env, language="en", change=change, topic_title="Global health",
            list_id="alerts.fhi.no", privacy_url="https://www.fhi.no/en/privacy", **identity,
        ),
        render_digest(
            env, language="en", period=period, list_id="alerts.fhi.no",
            sections=build_digest_sections(
                [change, make_change(url="https://www.fhi.no/en/b", title="B", summary="b")],
                {"norge-i-verden": "Global health"}, per_topic_limit=1,
            ),
            **identity,
        ),
        render_confirm(
            env, language="en", confirm_url="https://www.fhi.no/en/c/1", topics=["Global health"],
            existing_topics=["Vaccines"], frequency="weekly", previous_frequency="daily",
            expires_days=1, **identity,
        ),
        render_manage_link(
            env, language="en", manage_url="https://www.fhi.no/en/m/1", expires_hours=1,
            **identity,
        ),
    ]  # fmt: skip
    for mail in mails:
        parsed = parse_mail(
            mail.personalise(
                to="a@example.org", links=links, message_id="<1@fhi.no>", date=period.end
            )
        )
        visible = " ".join(parsed.page.text)
        for part in (parsed.text, visible, parsed.message["Subject"]):
            assert not NORWEGIAN_ONLY.search(part), (mail.kind, NORWEGIAN_ONLY.search(part))


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_links_to_the_sites_own_pages_keep_the_mails_language(
    env, links, parse_mail, language: str
) -> None:
    # Without it the privacy notice and the topic index open in the browser's language: a
    # person who chose nynorsk, on a browser that asks for bokmål, reads the notice in bokmål.
    mail = render_confirm(
        env, language=language, confirm_url="https://varsel.fhi.no/confirm/1",
        topics=["Vaksiner"], frequency="daily", expires_days=7, sender="FHI <varsel@fhi.no>",
        base_url="https://varsel.fhi.no", privacy_url="https://varsel.fhi.no/privacy",
    )  # fmt: skip
    parsed = parse_mail(
        mail.personalise(
            to="a@example.org", links=links, message_id="<1@fhi.no>", date=datetime.now(UTC)
        )
    )
    query = f"?lang={language}"
    for url in (f"https://varsel.fhi.no/privacy{query}", f"https://varsel.fhi.no/{query}"):
        assert url in parsed.page.hrefs, parsed.page.hrefs
        assert url in parsed.text.split(), parsed.text
    # An organisation's own privacy page is linked as it was given.
    elsewhere = render_confirm(
        env, language=language, confirm_url="https://varsel.fhi.no/confirm/1",
        topics=["Vaksiner"], frequency="daily", expires_days=7, sender="FHI <varsel@fhi.no>",
        base_url="https://varsel.fhi.no", privacy_url="https://www.fhi.no/personvern",
    )  # fmt: skip
    sent = elsewhere.personalise(
        to="a@example.org", links=links, message_id="<2@fhi.no>", date=datetime.now(UTC)
    )
    assert "https://www.fhi.no/personvern" in parse_mail(sent).page.hrefs
