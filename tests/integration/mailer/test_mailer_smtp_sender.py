"""The SMTP sender on a reused connection: refusals fail alone, the connection lives on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mailer.adapters.senders import (
    HandOverRefused,
    PermanentFailure,
    ServerUnavailable,
    SmtpMailSender,
    TemporaryFailure,
)
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
        if address.startswith("solveig"):
            # sendmail's way for a local mailbox: the local part alone, in its own case.
            return "550 5.1.1 Solveig.Nordmann... User unknown"
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


async def test_the_hand_over_falls_between_the_content_and_the_final_dot(
    server: LoopbackSmtp,
) -> None:
    # A line starting with "." must survive: the sender does its own dot-stuffing now.
    message = MESSAGE + b".skjult linje\r\n..to punktum\r\nslutt\n"
    seen_at_hand_over: list[int] = []

    async def hand_over(release: Callable[[], None]) -> None:
        seen_at_hand_over.append(len(server.mailbox.messages))
        release()

    sender = SmtpMailSender(server.url, pool_size=1)
    try:
        await sender.send("varsel@fhi.no", "kari@example.org", message, hand_over=hand_over)
        await sender.send("varsel@fhi.no", "ola@example.org", message, hand_over=hand_over)
    finally:
        await sender.close()

    assert seen_at_hand_over == [0, 1], "the server must not have the mail before the hand-over"
    first, second = server.mailbox.messages
    assert first.data.endswith(b".skjult linje\r\n..to punktum\r\nslutt\r\n")
    assert first.data == second.data


async def test_a_refused_hand_over_withdraws_the_mail(server: LoopbackSmtp) -> None:
    async def refuse(release: Callable[[], None]) -> None:
        raise HandOverRefused("another process holds this delivery now", lease_lost=True)

    sender = SmtpMailSender(server.url, pool_size=1)
    try:
        with pytest.raises(HandOverRefused):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE, hand_over=refuse)
        # The next mail goes on a fresh connection; the withdrawn one never arrives.
        await sender.send("varsel@fhi.no", "ola@example.org", MESSAGE)
        await asyncio.sleep(0.2)
    finally:
        await sender.close()
    assert [m.recipients for m in server.mailbox.messages] == [["ola@example.org"]]


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8", "ascii-only"])
async def test_a_non_ascii_address_goes_only_where_the_server_takes_it(smtputf8: bool) -> None:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    sender = SmtpMailSender(f"smtp://127.0.0.1:{port}", pool_size=1)
    try:
        if smtputf8:
            await sender.send("varsel@fhi.no", "bjørn@eksempel.no", MESSAGE)
        else:
            with pytest.raises(PermanentFailure, match="SMTPUTF8") as refused:
                await sender.send("varsel@fhi.no", "bjørn@eksempel.no", MESSAGE)
            assert refused.value.code is None, "not the address's fault: no bounce"
        await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()
        controller.stop()
    expected = [["bjørn@eksempel.no"]] if smtputf8 else []
    assert [m.recipients for m in mailbox.messages] == [*expected, ["kari@example.org"]]


async def test_an_internationalised_domain_goes_as_idna_to_a_relay_without_smtputf8(
    server: LoopbackSmtp,
) -> None:
    sender = SmtpMailSender(server.url, pool_size=1)  # aiosmtpd announces no SMTPUTF8 here
    try:
        await sender.send("varsel@fhi.no", "kari@bücher.example", MESSAGE)
        with pytest.raises(PermanentFailure, match="no IDNA") as refused:
            await sender.send("varsel@fhi.no", "kari@☃.example", MESSAGE)
        assert refused.value.code is None, "no server refused it: no bounce"
        await sender.send("varsel@fhi.no", "ola@example.org", MESSAGE)  # the same connection
    finally:
        await sender.close()
    assert [m.recipients for m in server.mailbox.messages] == [
        ["kari@xn--bcher-kva.example"],
        ["ola@example.org"],
    ]


async def test_a_server_that_stops_answering_fails_the_mail_and_the_next_gets_through() -> None:
    mailbox = Mailbox(delay=8.0)  # DATA's reply comes long after the sender's patience ends
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    sender = SmtpMailSender(f"smtp://127.0.0.1:{port}", pool_size=1, timeout=2.0)
    try:
        with pytest.raises(TemporaryFailure, match="TimeoutError"):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
        mailbox.delay = 0.0
        await sender.send("varsel@fhi.no", "ola@example.org", MESSAGE)  # on a new connection
    finally:
        await sender.close()
        controller.stop()
    assert ["ola@example.org"] in [m.recipients for m in mailbox.messages]


async def _unavailable_after_greeting(greeting: bytes) -> str:
    """Return what sending says of a relay that greets with ``greeting`` and hangs up."""

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        writer.close()

    relay = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = relay.sockets[0].getsockname()[1]
    sender = SmtpMailSender(f"smtp://127.0.0.1:{port}", pool_size=1)
    try:
        with pytest.raises(ServerUnavailable) as unavailable:
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()
        relay.close()
    return str(unavailable.value)


async def test_a_relay_that_answers_421_at_connect_is_named_with_its_reply() -> None:
    # Before, the log said only "cannot reach the SMTP server: SMTPConnectResponseError": not
    # whether the relay was busy, refused this client or wanted other credentials.
    said = await _unavailable_after_greeting(
        b"421 4.3.2 Too many connections from varsel@fhi.no; try later\r\n"
    )
    assert "SMTP 421: 4.3.2 Too many connections from <address> try later" in said, said
    assert "@" not in said


async def test_a_long_reply_cut_for_the_log_keeps_no_part_of_an_address() -> None:
    # The reply is cut to 200 characters for the log: cut right after an address's "@", what
    # was left of it no longer read as an address, and its local part stood in the log.
    said = await _unavailable_after_greeting(
        b"421 " + b"y" * 194 + b" kari.nordmann@example.org is busy\r\n"
    )
    assert "SMTP 421: " + "y" * 194 in said, said
    assert "kari" not in said and "nordmann" not in said and "@" not in said, said


async def test_a_relay_that_refuses_the_connection_says_so() -> None:
    sender = SmtpMailSender(f"smtp://127.0.0.1:{free_port()}", pool_size=1)
    try:
        with pytest.raises(ServerUnavailable, match=r"Connect call failed|Connection refused"):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()


async def test_a_refusal_that_names_only_the_local_part_keeps_none_of_it(
    server: LoopbackSmtp,
) -> None:
    # The reply's text is kept in the delivery ledger, after the person is erased too, and
    # written to the log. An address was scrubbed from it, but a relay naming the mailbox
    # alone («Solveig.Nordmann... User unknown») left the person's name in both.
    sender = SmtpMailSender(server.url, pool_size=1)
    try:
        with pytest.raises(PermanentFailure) as refused:
            await sender.send("varsel@fhi.no", "solveig.nordmann@example.org", MESSAGE)
    finally:
        await sender.close()

    said = str(refused.value)
    assert refused.value.code == 550 and "User unknown" in said, said
    assert "solveig" not in said.lower() and "nordmann" not in said.lower(), said
