"""The SMTP sender on a reused connection: refusals fail alone, the connection lives on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mailer.adapters.senders import PermanentFailure, SmtpMailSender, TemporaryFailure
from tests.integration.mailer.faults import LoopbackSmtp
from tests.support.smtp import Mailbox
from tests.support.varsel_process import free_port

MESSAGE = b"From: a@fhi.no\r\nTo: b@example.org\r\nSubject: x\r\n\r\nHei\r\n"


class RefusingMailbox(Mailbox):
    """Refuses some recipients at RCPT, as a real server does for unknown or full mailboxes."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("unknown"):
            return "550 5.1.1 <unknown@example.org>: no such user"
        if address.startswith("full"):
            return "452 4.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def server() -> Iterator[LoopbackSmtp]:
    running = LoopbackSmtp(RefusingMailbox(), free_port())
    running.start()
    yield running
    running.stop()


async def test_refused_recipients_fail_alone_and_the_connection_is_reused(
    server: LoopbackSmtp,
) -> None:
    sender = SmtpMailSender(server.url, pool_size=1)
    try:
        await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
        with pytest.raises(PermanentFailure) as permanent:
            await sender.send("varsel@fhi.no", "unknown@example.org", MESSAGE)
        with pytest.raises(TemporaryFailure) as temporary:
            await sender.send("varsel@fhi.no", "full@example.org", MESSAGE)
        await sender.send("varsel@fhi.no", "ola@example.org", MESSAGE)
    finally:
        await sender.close()

    assert permanent.value.code == 550 and "example.org" not in str(permanent.value)
    assert temporary.value.code == 452
    assert [m.recipients for m in server.mailbox.messages] == [
        ["kari@example.org"],
        ["ola@example.org"],
    ]
    assert len({m.data for m in server.mailbox.messages}) == 1


async def test_an_address_with_a_line_break_is_never_sent(server: LoopbackSmtp) -> None:
    sender = SmtpMailSender(server.url, pool_size=1)
    try:
        await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
        with pytest.raises(ValueError):
            await sender.send("varsel@fhi.no", "x@example.org>\r\nRCPT TO:<y@example.org", MESSAGE)
    finally:
        await sender.close()
    assert [m.recipients for m in server.mailbox.messages] == [["kari@example.org"]]
