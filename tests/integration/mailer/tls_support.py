"""An SMTP server that announces pipelining and takes one login, and its TLS certificate from a
throwaway authority (trustme)."""

from __future__ import annotations

import ssl

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.smtp import Mailbox

USER, PASSWORD = "varsel", "hemmelig passord"


class PipeliningMailbox(Mailbox):
    """A mailbox (announcing PIPELINING, as every test server does) that refuses recipients
    whose address starts with «unknown»."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("unknown"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    """Take USER with PASSWORD, and nobody else."""
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    """Return a server context with a certificate for 127.0.0.1 from the authority."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context
