"""The SMTP sender over STARTTLS and implicit TLS, with AUTH, and with pipelined commands.

aiosmtplib opens, secures and authenticates each connection; the mail transactions then run
on varsel's own pipelining protocol over the same (TLS) transport, so these paths are tested
against a real server with a real certificate (from a throwaway authority, trustme).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from services.mailer.adapters.senders import (
    PermanentFailure,
    ServerUnavailable,
    SmtpMailSender,
)
from tests.integration.mailer.tls_support import (
    PASSWORD,
    USER,
    PipeliningMailbox,
    authenticate,
    server_tls,
)
from tests.support.smtp import Mailbox, SmtpServer
from tests.support.varsel_process import free_port

MESSAGE = b"From: a@fhi.no\r\nTo: b@example.org\r\nSubject: x\r\n\r\nHei\r\n.punktum\r\n"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.fixture(params=["starttls", "implicit"])
def tls_server(
    request: pytest.FixtureRequest, authority: trustme.CA
) -> Iterator[tuple[str, Mailbox]]:
    mailbox = PipeliningMailbox()
    port = free_port()
    tls: dict[str, Any]
    if request.param == "starttls":
        scheme = "smtp+starttls"
        tls = {"tls_context": server_tls(authority), "require_starttls": True}
    else:  # the whole connection is TLS already
        scheme = "smtps"
        tls = {"ssl_context": server_tls(authority), "auth_require_tls": False}
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=authenticate, **tls
    )
    controller.start()
    yield f"{scheme}://127.0.0.1:{port}", mailbox
    controller.stop()


def with_login(url: str, password: str = PASSWORD) -> str:
    scheme, rest = url.split("://")
    return f"{scheme}://{USER}:{password.replace(' ', '%20')}@{rest}"


async def test_mail_goes_over_tls_with_auth_and_pipelined_commands(
    tls_server: tuple[str, Mailbox], client_tls: ssl.SSLContext
) -> None:
    url, mailbox = tls_server
    handed: list[int] = []

    async def hand_over(release: Callable[[], None]) -> None:
        handed.append(len(mailbox.messages))
        release()

    sender = SmtpMailSender(with_login(url), pool_size=1, tls_context=client_tls)
    try:
        await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE, hand_over=hand_over)
        with pytest.raises(PermanentFailure) as refused:
            await sender.send("varsel@fhi.no", "unknown@example.org", MESSAGE, hand_over=hand_over)
        await sender.send("varsel@fhi.no", "ola@example.org", MESSAGE, hand_over=hand_over)
    finally:
        await sender.close()

    assert refused.value.code == 550
    assert handed == [0, 1], "a refused recipient never reaches the hand-over"
    assert [m.recipients for m in mailbox.messages] == [["kari@example.org"], ["ola@example.org"]]
    assert all(m.data.endswith(b"Hei\r\n.punktum\r\n") for m in mailbox.messages)


async def test_a_wrong_password_holds_the_mail_and_says_why(
    tls_server: tuple[str, Mailbox], client_tls: ssl.SSLContext
) -> None:
    url, mailbox = tls_server
    sender = SmtpMailSender(with_login(url, "feil"), pool_size=1, tls_context=client_tls)
    try:
        with pytest.raises(ServerUnavailable, match="SMTPAuthenticationError"):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()
    assert mailbox.messages == []


async def test_an_untrusted_certificate_is_refused(tls_server: tuple[str, Mailbox]) -> None:
    url, mailbox = tls_server
    sender = SmtpMailSender(with_login(url), pool_size=1)  # the system's trust store only
    try:
        with pytest.raises(ServerUnavailable):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()
    assert mailbox.messages == []


async def test_a_server_without_starttls_is_refused_rather_than_sent_to_in_clear(
    client_tls: ssl.SSLContext,
) -> None:
    plain = SmtpServer()  # says EHLO without STARTTLS
    plain.start()
    sender = SmtpMailSender(
        f"smtp+starttls://127.0.0.1:{plain.port}", pool_size=1, tls_context=client_tls
    )
    try:
        with pytest.raises(ServerUnavailable, match="SMTPException"):
            await sender.send("varsel@fhi.no", "kari@example.org", MESSAGE)
    finally:
        await sender.close()
        plain.stop()
    assert plain.mailbox.messages == []
