"""The next mail's envelope leaves with a mail's final dot (RFC 2920 3.1, ADR 0021): one trip
through the network stack a mail. A mail whose envelope went early but which is not sent after
all is discarded by the server, never delivered empty, and sent once later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.mailer.adapters.senders import SmtpMailSender
from services.mailer.adapters.smtp_connection import SmtpConnection
from services.mailer.domain.ledger import DeliveryStatus
from tests.integration.mailer.faults import GatedSender
from tests.integration.mailer.harness import Harness
from tests.support.smtp import Mailbox

PEOPLE = [f"person{i}@example.org" for i in range(3)]
# How long the relay below waits, after a final dot, for the next command before it replies:
# a client that sends the next envelope early has sent it in the same segment as the dot.
PATIENCE = 1.0


class PatientRelay:
    """A relay announcing PIPELINING that replies to a final dot only once the next command
    came or PATIENCE passed, and notes which: whether the next envelope came early."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[bytes], bytes]] = []  # recipients and content
        self.early: list[bool] = []  # for each final dot: the next MAIL came before its reply
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 relay\r\n")
        recipients: list[bytes] = []
        line = await reader.readline()
        while line:
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-relay\r\n250 PIPELINING\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                writer.close()
                return
            elif verb == b"RCPT":
                recipients.append(line[8:].strip())
                writer.write(b"250 ok\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                content = await reader.readuntil(b"\r\n.\r\n")
                self.mails.append((recipients, content))
                recipients = []
                try:
                    async with asyncio.timeout(PATIENCE):
                        line = await reader.readline()
                except TimeoutError:
                    line = b""
                self.early.append(line.upper().startswith(b"MAIL"))
                writer.write(b"250 queued\r\n")
                if line:
                    continue  # the command that came early is answered next
            else:  # MAIL, RSET, NOOP
                writer.write(b"250 ok\r\n")
            line = await reader.readline()


@pytest.fixture
async def relay() -> AsyncIterator[PatientRelay]:
    server = PatientRelay()
    await server.start()
    yield server
    await server.stop()


async def _alerts_queued(harness: Harness) -> None:
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")


async def test_the_next_mails_envelope_leaves_with_the_final_dot(
    harness: Harness, relay: PatientRelay
) -> None:
    await _alerts_queued(harness)
    sender = SmtpMailSender(f"smtp://127.0.0.1:{relay.port}", pool_size=1)
    try:
        assert await harness.worker(sender, concurrency=1).send_due() == 3
    finally:
        await sender.close()

    # The first two dots carried the next mail's MAIL, RCPT and DATA; the last had none to.
    assert relay.early == [True, True, False]
    delivered = sorted(r.decode().strip("<>") for recipients, _ in relay.mails for r in recipients)
    assert delivered == sorted(PEOPLE)
    assert all(b"Norge i verden" in content for _, content in relay.mails)
    assert {d.status for d in await harness.deliveries("alert")} == {DeliveryStatus.SENT}


async def test_without_pipelining_each_envelope_waits_for_the_reply(
    harness: Harness, relay: PatientRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _alerts_queued(harness)
    # A relay that does not announce PIPELINING gets one command at a time, none early.
    monkeypatch.setattr(
        SmtpConnection, "__init__", _without_pipelining(SmtpConnection.__init__), raising=True
    )
    sender = SmtpMailSender(f"smtp://127.0.0.1:{relay.port}", pool_size=1)
    try:
        assert await harness.worker(sender, concurrency=1).send_due() == 3
    finally:
        await sender.close()
    assert relay.early == [False, False, False]
    assert len(relay.mails) == 3


def _without_pipelining(init):  # type: ignore[no-untyped-def]
    def patched(self, client, **kwargs):  # type: ignore[no-untyped-def]
        init(self, client, **kwargs)
        self._pipelining = False

    return patched


async def test_a_mail_whose_envelope_went_early_but_was_not_sent_is_discarded_then_sent_once(
    harness: Harness,
) -> None:
    await _alerts_queued(harness)
    # The second mail waits at the gate: the first has gone, with the second's envelope.
    gate = GatedSender(harness.mailer.sender, first_gated=2)
    worker = harness.worker(gate, concurrency=1)
    batch = asyncio.create_task(worker.send_due())
    await asyncio.wait_for(gate.reached.wait(), 10)

    # The process stops: the second mail still goes (it is in the lane's hand), with the
    # third's envelope; the third is given back unsent, and its envelope discarded.
    worker.stop.set()
    gate.gate.set()
    assert await batch == 3

    received = harness.received()
    assert len(received) == 2
    assert all(m.data.strip() for m in received), "no mail went out empty"
    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == [DeliveryStatus.SENT] * 2 + [DeliveryStatus.QUEUED]
    assert alerts[2].next_attempt_at == harness.clock.now() and alerts[2].lease_until is None

    await harness.send_all()
    delivered = sorted(r for m in harness.received() for r in m.recipients)
    assert delivered == sorted(PEOPLE), "each person got one mail"


async def test_a_mail_refused_after_its_dot_with_the_next_envelope_sent_costs_the_next_nothing(
    harness: Harness,
) -> None:
    await _alerts_queued(harness)
    mailbox = harness.mailbox
    assert isinstance(mailbox, Mailbox)
    # The first mail is refused after its dot, when the second's envelope is on its way: the
    # connection cannot be reset (RSET would be the second mail's content), so it is dropped.
    mailbox.scripted.append("554 5.6.0 message refused")
    assert await harness.worker(harness.mailer.sender, concurrency=1).send_due() == 3

    alerts = await harness.deliveries("alert")
    assert sorted(d.status for d in alerts) == sorted(
        [DeliveryStatus.FAILED] + [DeliveryStatus.SENT] * 2
    )
    delivered = [r for m in harness.received() for r in m.recipients]
    assert len(delivered) == len(set(delivered)) == 2 and set(delivered) < set(PEOPLE)
    assert all(m.data.strip() for m in harness.received())


async def test_a_connection_holding_another_mails_envelope_is_not_used_for_a_third(
    harness: Harness,
) -> None:
    """The rule of ``then``: only the announced mail may follow; anything else closes the
    connection, and the announced mail's transaction is discarded, not delivered empty."""
    sender = SmtpMailSender(harness.runtime.settings.smtp_url, pool_size=1)
    connection = await sender._connect()
    try:
        await connection.send(
            "varsel@example.no",
            "first@example.org",
            b"Subject: one\r\n\r\nfirst\r\n",
            _record_nothing,
            then=("varsel@example.no", "second@example.org"),
        )
        assert connection.ahead and connection.is_open
        with pytest.raises(RuntimeError, match="another mail's commands"):
            await connection.send(
                "varsel@example.no", "third@example.org", b"Subject: three\r\n\r\nx\r\n", None
            )
        assert not connection.is_open
    finally:
        connection.close()
    await asyncio.sleep(0.2)  # the server sees the connection end
    assert [r for m in harness.received() for r in m.recipients] == ["first@example.org"]


async def _record_nothing(release) -> None:  # type: ignore[no-untyped-def]
    release()
