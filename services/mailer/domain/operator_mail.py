"""The operators' notice that a watched source fails or works again, in Norwegian and English."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import jinja2

from services.mailer.domain.text import one_line
from services.mailer.domain.wording import Translator
from shared.events import SourceFailing, SourceRecovered
from shared.vocabulary import Language

TEMPLATE = "operator_source_status"
_TITLE_MAX = 200


@dataclass(frozen=True, slots=True)
class OperatorMail:
    """The rendered operator mail, the same for every operator."""

    subject: str
    text: str
    html: str


def render_operator_mail(
    env: jinja2.Environment,
    event: SourceFailing | SourceRecovered,
    *,
    site: str,
    base_url: str,
    admin_url: str,
) -> OperatorMail:
    """Render the mail about one source status change (Norwegian, English below)."""
    context: dict[str, Any] = {
        "state": "failing" if isinstance(event, SourceFailing) else "recovered",
        "nb": Translator(Language.NB),
        "en": Translator(Language.EN),
        "title": one_line(event.title, max_length=_TITLE_MAX),
        "source_url": event.source_url,
        "failures": event.failures,
        "last_error": one_line(event.last_error, max_length=1000),
        "operations_url": f"{admin_url}/operations",
        "site": one_line(site, max_length=_TITLE_MAX),
        "base_url": base_url,
    }
    subject = one_line(env.get_template(f"{TEMPLATE}/subject.txt").render(context), max_length=300)
    context["subject"] = subject
    return OperatorMail(
        subject=subject,
        text=env.get_template(f"{TEMPLATE}/body.txt").render(context).strip() + "\n",
        html=env.get_template(f"{TEMPLATE}/body.html").render(context),
    )


def notice_bytes(mail: OperatorMail, *, sender: str, recipient: str, message_id: str) -> bytes:
    """Return the notice as one operator gets it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message.as_bytes()
