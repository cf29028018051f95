"""Which failures to connect are a relay's limit of connections, and how long one holds."""

from __future__ import annotations

import logging
import socket
import ssl

import aiosmtplib
import pytest

from services.mailer.adapters.relay_limit import RelayLimit, _turn_away


def _wrapped(cause: BaseException) -> aiosmtplib.SMTPConnectError:
    """Return the error aiosmtplib raises for ``cause`` at connect."""
    try:
        raise aiosmtplib.SMTPConnectError(f"Error connecting: {cause}") from cause
    except aiosmtplib.SMTPConnectError as exc:
        return exc


@pytest.mark.parametrize(
    ("failure", "limit"),
    [
        (aiosmtplib.SMTPConnectResponseError(421, "4.7.0 Error: too many connections"), True),
        (aiosmtplib.SMTPConnectResponseError(450, "4.7.1 try later"), True),
        (aiosmtplib.SMTPHeloError(421, "4.3.2 maximum number of connections"), True),
        (aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        # Not the number of connections: these stay what they were (an outage or a setting).
        (aiosmtplib.SMTPConnectResponseError(554, "5.7.1 no SMTP service here"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 authentication failed"), False),
        (aiosmtplib.SMTPSenderRefused(451, "4.3.0 try later", "varsel@fhi.no"), False),
        (aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"), False),
        (TimeoutError(), False),
        # aiosmtplib wraps what happened at connect: what it wraps decides.
        (_wrapped(ConnectionRefusedError(111, "Connection refused")), True),
        (_wrapped(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received")), True),
        (_wrapped(ssl.SSLCertVerificationError(1, "certificate verify failed")), False),
        (_wrapped(socket.gaierror(-2, "Name or service not known")), False),
        (_wrapped(OSError(101, "Network is unreachable")), False),
        (aiosmtplib.SMTPConnectError("no cause given"), False),
    ],
)
def test_a_connection_turned_away_is_told_from_other_failures(
    failure: BaseException, limit: bool
) -> None:
    assert _turn_away(failure) is limit


class _Connection:
    def __init__(self, is_connected: bool) -> None:
        self.is_connected = is_connected


async def test_the_limit_is_the_connections_still_open_and_holds_its_time() -> None:
    now = [1000.0]
    limit = RelayLimit(8, relearn_after=300.0, clock=lambda: now[0])
    for is_connected in (True, True, False):  # one the relay has closed since
        limit.made(_Connection(is_connected))
    refused = aiosmtplib.SMTPConnectResponseError(421, "too many connections")

    assert limit.usable() == 8
    assert await limit.turned_away(refused, "SMTP 421") is True
    assert limit.usable() == 2
    now[0] += 299.0
    assert limit.usable() == 2
    now[0] += 1.0
    assert limit.usable() == 8, "the whole pool is tried again"


async def test_with_no_connection_open_a_refusal_is_no_limit() -> None:
    limit = RelayLimit(8)
    limit.made(_Connection(False))
    refused = aiosmtplib.SMTPConnectResponseError(421, "closing")
    assert await limit.turned_away(refused, "SMTP 421") is False
    assert limit.usable() == 8


def test_connections_the_relay_has_closed_are_not_kept() -> None:
    limit = RelayLimit(2)
    for _ in range(100):  # a relay that closes each connection after a few mails
        limit.made(_Connection(False))
    limit.made(_Connection(True))
    assert len(limit._made) <= 4


async def test_a_cap_met_again_after_the_relay_took_more_is_said_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    now = [0.0]
    limit = RelayLimit(6, relearn_after=300.0, clock=lambda: now[0])
    refused = aiosmtplib.SMTPConnectResponseError(421, "too many connections")
    first = [_Connection(True), _Connection(True)]
    for connection in first:
        limit.made(connection)
    assert await limit.turned_away(refused, "SMTP 421")
    assert await limit.turned_away(refused, "SMTP 421")  # the same cap: said once
    now[0] += 300.0
    assert limit.usable() == 6
    more = [_Connection(True) for _ in range(4)]
    for connection in more:  # the relay takes the whole pool now
        limit.made(connection)
    for connection in [*first, *more]:
        connection.is_connected = False  # the relay restarts with its cap back at two
    limit.made(_Connection(True))
    limit.made(_Connection(True))
    assert await limit.turned_away(refused, "SMTP 421")

    told = [r.getMessage() for r in caplog.records if "turned away" in r.getMessage()]
    assert len(told) == 2, told
    assert "takes 3 connections again" in caplog.text
