"""Previews of every mail varsel sends, built by the mailer's own renderer from sample data.

An editor or operator sees the HTML part, the text part and the headers of a confirmation,
a manage link, an alert, a digest, the last mail of an ended topic, the notice that a page was
removed, a bulletin, an operator notice or an editors' reminder in any language, exactly as a
person would get it, with made-up links and a made-up address: no real person's data is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from services.mailer.domain.alert_mail import render_alert, render_topic_ended
from services.mailer.domain.bulletin_mail import render_bulletin
from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.digest_mail import render_digest
from services.mailer.domain.mail_context import in_language
from services.mailer.domain.mail_templates import build_environment
from services.mailer.domain.manage_link_mail import render_manage_link
from services.mailer.domain.mime import RecipientLinks, RenderedMail
from services.mailer.domain.operator_mail import (
    OperatorMail,
    notice_bytes,
    render_operator_mail,
    render_review_reminder,
)
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.removal_mail import render_page_removed
from services.mailer.domain.views import ChangeView, build_digest_sections
from shared.events import SourceFailing, SourceRecovered
from shared.i18n.templates import LocalisedTemplates
from shared.settings import Settings
from shared.vocabulary import Frequency, Language

# Every kind of mail, in the order the admin lists them.
PREVIEW_KINDS: Final = (
    "confirm",
    "manage_link",
    "alert",
    "digest",
    "topic_ended",
    "page_removed",
    "bulletin",
    "operator_failing",
    "operator_recovered",
    "review_reminder",
)
SAMPLE_ADDRESS: Final = "kari.nordmann@example.no"
# Fixed, so two previews of the same mail are the same.
_SENT_AT: Final = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("UTC"))
_SAMPLE_TOPICS: Final = (("eksempel", "Eksempel"), ("eksempel-2", "Eksempel 2"))


class UnknownPreview(ValueError):
    """A preview of a kind or language varsel does not have."""


@dataclass(frozen=True, slots=True)
class MailPreview:
    """One mail as a person would get it."""

    kind: str
    language: str
    headers: tuple[tuple[str, str], ...]
    text: str
    html: str


@cache
def _environment() -> LocalisedTemplates:
    # The templates and catalogues are read once per process, as the mailer does at start.
    return build_environment()


def preview_mail(
    settings: Settings,
    kind: str,
    language: str,
    topics: Sequence[tuple[str, str]] = (),
) -> MailPreview:
    """Render one kind of mail in one language from sample data; UnknownPreview if none.

    ``topics`` are (slug, title) pairs in that language, so the sample speaks of real topics;
    made-up ones stand in when there are fewer than two.
    """
    if kind not in PREVIEW_KINDS:
        raise UnknownPreview(f"no mail of kind {kind!r}")
    if Language.parse(language) is None:
        raise UnknownPreview(f"no language {language!r}")
    named = (list(topics) + list(_SAMPLE_TOPICS))[:2]
    raw = _BUILDERS[kind](settings, language, named)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return MailPreview(
        kind=kind,
        language=language,
        headers=tuple((name, str(value)) for name, value in message.items()),
        text=str(text_part.get_content()) if text_part is not None else "",
        html=str(html_part.get_content()) if html_part is not None else "",
    )


def _common(settings: Settings) -> dict[str, Any]:
    # As the mail builder passes them, so the preview wears the installation's look.
    return {
        "sender": settings.mail_from,
        "base_url": settings.base_url,
        "site_name": settings.site_name,
        "brand": settings.brand,
        "privacy_url": settings.resolved_privacy_url,
    }


def _links(settings: Settings) -> RecipientLinks:
    base = settings.base_url
    return RecipientLinks(
        manage_url=f"{base}/manage/eksempel",
        unsubscribe_url=f"{base}/unsubscribe/eksempel",
        one_click_url=f"{base}/one-click/eksempel",
    )


def _personal(settings: Settings, mail: RenderedMail, links: RecipientLinks | None) -> bytes:
    return mail.personalise(
        to=SAMPLE_ADDRESS,
        links=links,
        message_id=f"<preview@{settings.list_id}>",
        date=_SENT_AT,
    )


def _change(
    settings: Settings, topics: Sequence[tuple[str, str]], hours: int, page: str = "Eksempelside"
) -> ChangeView:
    return ChangeView(
        title=page,
        url=f"{settings.base_url}/{page.lower().replace(' ', '-')}",
        topic_slugs=tuple(slug for slug, _ in topics[:1]),
        topic_titles=tuple(title for _, title in topics[:1]),
        published=date(2026, 3, 3),
        updated=_SENT_AT.date(),
        summary="«Slik søker du»: Et nytt avsnitt.\nFjernet: gammel tekst om frister",
        occurred_at=_SENT_AT - timedelta(hours=hours),
    )


def _confirm(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    mail = render_confirm(
        _environment(),
        language=language,
        confirm_url=f"{settings.base_url}/confirm/eksempel",
        topics=[title for _, title in topics[:1]],
        existing_topics=[title for _, title in topics[1:2]],
        frequency=Frequency.DAILY,
        expires_days=settings.confirm_ttl_days,
        **_common(settings),
    )
    return _personal(settings, mail, None)


def _manage_link(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    mail = render_manage_link(
        _environment(),
        language=language,
        manage_url=f"{settings.base_url}/manage/eksempel",
        expires_hours=1,
        **_common(settings),
    )
    return _personal(settings, mail, None)


def _alert(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    mail = render_alert(
        _environment(),
        language=language,
        change=_change(settings, topics, 1),
        topic_title=topics[0][1],
        list_id=settings.list_id,
        **_common(settings),
    )
    return _personal(settings, mail, _links(settings))


def _digest(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    changes = [_change(settings, topics, 3), _change(settings, topics[1:], 2, "Eksempel 2")]
    sections = build_digest_sections(
        changes, dict(topics), per_topic_limit=5, more_url=lambda _: None
    )
    tz = ZoneInfo(settings.timezone)
    mail = render_digest(
        _environment(),
        language=language,
        period=period_ending_at_or_before(Frequency.DAILY, _SENT_AT, tz=tz),
        sections=sections,
        list_id=settings.list_id,
        **_common(settings),
    )
    return _personal(settings, mail, _links(settings))


def _topic_ended(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    (_, ended), (successor_slug, successor) = topics[0], topics[1]
    mail = render_topic_ended(
        _environment(),
        language=language,
        topic_title=ended,
        successor_title=successor,
        successor_url=in_language(f"{settings.base_url}/subscribe/{successor_slug}", language),
        frequency=Frequency.DAILY,
        list_id=settings.list_id,
        **_common(settings),
    )
    return _personal(settings, mail, _links(settings))


def _page_removed(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    mail = render_page_removed(
        _environment(),
        language=language,
        page_title="Eksempelside",
        page_url="https://www.example.no/eksempelside",
        moved_to="https://www.example.no/ny-eksempelside",
        topic_titles=[topics[0][1]],
        frequency=Frequency.IMMEDIATE,
        list_id=settings.list_id,
        **_common(settings),
    )
    return _personal(settings, mail, _links(settings))


# A sample bulletin in the languages an editor writes; nynorsk readers get the bokmål text.
SAMPLE_BULLETIN: Final = {
    "nb": {
        "subject": "Nye råd om vaksiner før vinteren",
        "body": "Fra **1. desember** gjelder nye råd.\n\n- Les rådene på "
        "[nettsiden](https://www.example.no/vaksiner)\n- Spør fastlegen din",
    },
    "en": {
        "subject": "New advice on vaccines before the winter",
        "body": "New advice applies from **1 December**.\n\n- Read the advice on "
        "[the website](https://www.example.no/vaksiner)\n- Ask your GP",
    },
}


def _bulletin(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    mail = render_bulletin(
        _environment(),
        language=language,
        texts=SAMPLE_BULLETIN,
        topic_titles=[title for _, title in topics],
        frequency=Frequency.DAILY,
        list_id=settings.list_id,
        **_common(settings),
    )
    return _personal(settings, mail, _links(settings))


def _operator(failing: bool) -> Callable[[Settings, str, Sequence[tuple[str, str]]], bytes]:
    def build(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
        # One notice holds every language, one below the other: ``language`` changes nothing.
        fields = {
            "source_id": 1,
            "source_url": f"{settings.base_url}/eksempelside",
            "title": "Eksempelside",
            "failures": 5,
            "last_error": "HTTP 503 from the source",
        }
        event = SourceFailing(**fields) if failing else SourceRecovered(**fields)
        mail = render_operator_mail(
            _environment(),
            event,
            site=settings.site_name,
            base_url=settings.base_url,
            admin_url=settings.resolved_admin_url,
        )
        return _staff_notice(settings, mail)

    return build


def _review_reminder(settings: Settings, language: str, topics: Sequence[tuple[str, str]]) -> bytes:
    # Like the operators' notice, one reminder holds every language: ``language`` changes nothing.
    mail = render_review_reminder(
        _environment(),
        title="Eksempelside",
        source_url=f"{settings.base_url}/eksempelside",
        waiting_since=_SENT_AT,
        desk_url=f"{settings.resolved_admin_url}/desk/00000000-0000-4000-8000-000000000000",
        site=settings.site_name,
        base_url=settings.base_url,
    )
    return _staff_notice(settings, mail)


def _staff_notice(settings: Settings, mail: OperatorMail) -> bytes:
    return notice_bytes(
        mail,
        sender=settings.mail_from,
        recipient=SAMPLE_ADDRESS,
        message_id=f"<preview@{settings.list_id}>",
    )


_BUILDERS: Final[dict[str, Callable[[Settings, str, Sequence[tuple[str, str]]], bytes]]] = {
    "confirm": _confirm,
    "manage_link": _manage_link,
    "alert": _alert,
    "digest": _digest,
    "topic_ended": _topic_ended,
    "page_removed": _page_removed,
    "bulletin": _bulletin,
    "operator_failing": _operator(failing=True),
    "operator_recovered": _operator(failing=False),
    "review_reminder": _review_reminder,
}
