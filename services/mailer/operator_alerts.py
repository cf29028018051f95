"""Mail the operators once when a watched source starts failing and once when it recovers.

Operators are not subscribers: their addresses come from ``VARSEL_OPERATOR_EMAILS``, the mails
bypass the subscribers' delivery ledger, and nothing here touches subscriber data. The bus runs
each consumer once per event (its inbox row commits with the handler), and the SMTP hand-over
happens inside that transaction: a temporary SMTP failure rolls it back and the event is
delivered again; a crash after sending but before the commit can repeat a mail, which carries
the same Message-ID so a mail client shows it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.senders import MailSender, PermanentFailure
from services.mailer.domain.message import build_environment
from services.mailer.domain.wording import Translator
from shared.bus import EventBus
from shared.events import SourceFailing, SourceRecovered
from shared.settings import Settings
from shared.vocabulary import Language

log = logging.getLogger(__name__)

TEMPLATE = "operator_source_status"
CONSUMER = "mailer"  # the mailer's one queue; the inbox keys on (consumer, event id)
_TITLE_MAX = 200


def _one_line(text: str, limit: int = _TITLE_MAX) -> str:
    """Collapse untrusted text (a page title) to one line, so it cannot break a header."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


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
        "title": _one_line(event.title),
        "source_url": event.source_url,
        "failures": event.failures,
        "last_error": _one_line(event.last_error, 1000),
        "operations_url": f"{admin_url}/operations",
        "site": _one_line(site),
        "base_url": base_url,
    }
    subject = _one_line(env.get_template(f"{TEMPLATE}/subject.txt").render(context), 300)
    context["subject"] = subject
    return OperatorMail(
        subject=subject,
        text=env.get_template(f"{TEMPLATE}/body.txt").render(context).strip() + "\n",
        html=env.get_template(f"{TEMPLATE}/body.html").render(context),
    )


class OperatorAlerts:
    """The consumer of source.failing and source.recovered."""

    def __init__(
        self, settings: Settings, sender: MailSender, env: jinja2.Environment | None = None
    ) -> None:
        self._settings = settings
        self._sender = sender
        self._env = env or build_environment()

    def subscribe(self, bus: EventBus) -> None:
        """Register for both events."""
        bus.subscribe(CONSUMER, SourceFailing, self.handle)
        bus.subscribe(CONSUMER, SourceRecovered, self.handle)

    async def handle(self, event: SourceFailing | SourceRecovered, session: AsyncSession) -> None:
        """Mail every operator; without operators, only log."""
        what = "is failing" if isinstance(event, SourceFailing) else "has recovered"
        operators = self._settings.operator_emails
        if not operators:
            log.info(
                "operators: source %s %s (no VARSEL_OPERATOR_EMAILS set)", event.source_url, what
            )
            return
        mail = render_operator_mail(
            self._env,
            event,
            site=self._settings.site_name,
            base_url=self._settings.base_url,
            admin_url=self._settings.resolved_admin_url,
        )
        envelope_from = parseaddr(self._settings.mail_from)[1]
        domain = envelope_from.rpartition("@")[2] or "localhost"
        for index, recipient in enumerate(operators):
            message = self._message(mail, recipient, f"<{event.event_id}.{index}@{domain}>")
            try:
                await self._sender.send(envelope_from, recipient, message)
            except PermanentFailure as exc:
                # Retrying cannot help a refused operator address; the others still get theirs.
                log.error("operators: the mail server refused operator %d for good: %s", index, exc)
        log.info(
            "operators: told %d operator(s) that %s %s", len(operators), event.source_url, what
        )

    def _message(self, mail: OperatorMail, recipient: str, message_id: str) -> bytes:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = recipient
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message.as_bytes()
