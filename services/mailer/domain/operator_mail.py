"""Staff notices, each language below the other: a watched source fails or works again (to
operators), a change has waited too long on the editor's desk (to editors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from markupsafe import Markup

from services.mailer.domain.ledger import OperatorNoticeReference
from services.mailer.domain.mime import subject_value
from services.mailer.domain.text import one_line
from services.mailer.domain.wording import quote
from shared.events import SourceFailing, SourceRecovered
from shared.i18n.templates import LocalisedTemplates
from shared.vocabulary import DEFAULT_LANGUAGE

TEMPLATE = "operator_source_status"
REVIEW_TEMPLATE = "review_reminder"
LAYOUT = TEMPLATE  # the page around every staff notice's sections
_TITLE_MAX = 200


@dataclass(frozen=True, slots=True)
class OperatorMail:
    """The rendered operator mail, the same for every operator."""

    subject: str
    text: str
    html: str


def render_operator_mail(
    templates: LocalisedTemplates,
    event: SourceFailing | SourceRecovered | OperatorNoticeReference,
    *,
    site: str,
    base_url: str,
    admin_url: str,
) -> OperatorMail:
    """Render the mail about one source status change (the event, or the ledger's copy of it),
    each language below the other."""
    title = one_line(event.title, max_length=_TITLE_MAX)
    if isinstance(event, OperatorNoticeReference):
        failing = event.failing
    else:
        failing = isinstance(event, SourceFailing)
    context: dict[str, Any] = {
        "state": "failing" if failing else "recovered",
        "source_url": event.source_url,
        "failures": event.failures,
        "last_error": one_line(event.last_error, max_length=1000),
        "operations_url": f"{admin_url}/operations",
        "site": one_line(site, max_length=_TITLE_MAX),
        "base_url": base_url,
        "title": title,
    }
    return render_stacked(templates, TEMPLATE, context)


def render_review_reminder(
    templates: LocalisedTemplates,
    *,
    title: str,
    source_url: str,
    waiting_since: datetime,
    desk_url: str,
    site: str,
    base_url: str,
) -> OperatorMail:
    """Render the editors' reminder that a change waits on the desk, for them to decide."""
    context: dict[str, Any] = {
        "title": one_line(title, max_length=_TITLE_MAX),
        "source_url": source_url,
        "since": waiting_since.strftime("%Y-%m-%d %H:%M UTC"),
        "desk_url": desk_url,
        "site": one_line(site, max_length=_TITLE_MAX),
        "base_url": base_url,
    }
    return render_stacked(templates, REVIEW_TEMPLATE, context)


def render_stacked(
    templates: LocalisedTemplates, template: str, context: dict[str, Any]
) -> OperatorMail:
    """Render a staff notice's sections in every language, one below the other.

    Staff accounts have no language of their own, so every notice speaks all of them.
    """
    title = context["title"]
    states, html, text = [], [], []
    for language in templates.languages:
        words = {"lang": language, "quoted_title": quote(templates.translator(language), title)}
        part = {**context, **words}
        states.append(one_line(templates.render(language, f"{template}/subject.txt", part)))
        html.append(Markup(templates.render(language, f"{template}/section.html", part)))  # noqa: S704 - rendered with autoescape
        text.append(templates.render(language, f"{template}/section.txt", part))
    subject = one_line(f"[{context['site']}] {' / '.join(states)}: {title}", max_length=300)
    layout = {**context, "lang": DEFAULT_LANGUAGE, "subject": subject}
    return OperatorMail(
        subject=subject,
        text=templates.render(
            DEFAULT_LANGUAGE, f"{LAYOUT}/body.txt", layout | {"sections": text}
        ).strip()
        + "\n",
        html=templates.render(DEFAULT_LANGUAGE, f"{LAYOUT}/body.html", layout | {"sections": html}),
    )


def notice_bytes(mail: OperatorMail, *, sender: str, recipient: str, message_id: str) -> bytes:
    """Return the notice as one operator gets it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    # Written as encoded here: the header registry would read encoded words in a page's title.
    message.set_raw("Subject", subject_value(mail.subject))
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message.as_bytes()
