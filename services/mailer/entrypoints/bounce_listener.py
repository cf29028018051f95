"""The inbound SMTP listener for late bounces and complaints (``varsel run bounces``).

aiosmtpd's SMTP protocol, served on the process's own event loop so a report is recorded with
the same database sessions as everything else. It takes mail only for the bounce mailbox's
``local+TOKEN@domain`` addresses, refuses every other recipient (it is no relay), and accepts a
report once it is recorded or ignored: a forged or unreadable one is logged and dropped, so its
sender has no reason to try again. Only when the database cannot record it does the listener
answer 451, so the sending relay keeps the report and tries later: none is lost.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Final

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mailer.returned_mail import ReturnedMail

log = logging.getLogger(__name__)

# Reports return at most the mail they are about; varsel's mails are far smaller than this.
MAX_REPORT_BYTES: Final = 1024 * 1024


class ReportHandler:
    """aiosmtpd's handler: recipients by the bounce addresses' shape, each report to the intake."""

    def __init__(self, intake: ReturnedMail) -> None:
        self._intake = intake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self._intake.accepts(address):
            return "550 5.1.1 mailbox unavailable: this host takes only bounce reports"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        try:
            for recipient in envelope.rcpt_tos:
                await self._intake.take(raw, channel="smtp", recipient=recipient)
        except Exception as exc:
            log.error("bounces: cannot record a report now (%s); the sender will retry", exc)
            return "451 4.3.0 cannot record the report now; try again later"
        return "250 2.0.0 report taken"


async def start_listener(intake: ReturnedMail, host: str, port: int) -> asyncio.Server:
    """Listen for reports on ``host:port``; close the returned server to stop."""
    loop = asyncio.get_running_loop()
    handler = ReportHandler(intake)
    # Named once: aiosmtpd would otherwise look up this host's FQDN in DNS for every connection,
    # blocking the event loop the rest of the process runs on.
    hostname = socket.gethostname()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname=hostname,
            data_size_limit=MAX_REPORT_BYTES,
            enable_SMTPUTF8=True,
            ident="varsel bounces",
            timeout=60,
        ),
        host,
        port,
    )
    log.info("bounces: listening for reports over SMTP on %s:%d", host, port)
    return server
