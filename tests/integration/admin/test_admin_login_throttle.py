"""Failed sign-ins slow down the client that fails, for the name it tries, and nobody else.

A stranger guessing an admin's password waits longer after each failure, while the admin, from
any client that has not failed, signs in at once. The client is the address the trusted-proxy
rules give (VARSEL_TRUSTED_PROXIES), so rotating X-Forwarded-For from elsewhere changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.admin.adapters.tables import AdminAuditEntry, AdminLoginFailures
from services.admin.authentication import UNKNOWN_ACCOUNT
from services.admin.domain.accounts import (
    LOGIN_FREE_FAILURES,
    LOGIN_LIMIT_PER_CLIENT,
    LOGIN_LONGEST_DELAY,
    login_delay,
)
from shared.clock import FrozenClock
from tests.integration.admin.harness import Harness, running, sign_in

WRONG = "wrong password!"
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def client_at(
    h: Harness, address: str, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser whose connection comes from ``address``."""
    transport = httpx.ASGITransport(app=h.app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as client:
        yield client


@asynccontextmanager
async def stranger(
    url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """The admin "aud", and a browser on another client that guesses its password."""
    async with running(url, tmp_path, clock=clock) as h:
        await h.user("aud", "auditor")
        async with client_at(h, "192.0.2.66") as client:
            yield h, client


async def audited(h: Harness, action: str) -> list[str]:
    """Return the client of each audit entry of an action, oldest first."""
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdminAuditEntry.client)
            .where(AdminAuditEntry.action == action)
            .order_by(AdminAuditEntry.id)
        )
        return list(rows.all())


async def test_wrong_passwords_from_one_client_do_not_lock_the_admin_out(
    database_url: str, tmp_path: Path
) -> None:
    async with stranger(database_url, tmp_path, FrozenClock(START)) as (h, attacker):
        for _ in range(5):
            assert (await sign_in(attacker, "aud", WRONG)).status_code in (401, 429)
        assert (await sign_in(attacker, "aud")).status_code == 429
        async with client_at(h, "192.0.2.10") as admin:
            answer = await sign_in(admin, "aud")
            assert answer.status_code == 303
            assert "varsel_admin" in answer.cookies
        # Every wrong password is in the audit log, with the client it came from; the attempts
        # refused while the client waited are one entry of the hour, counting them (ADR 0028).
        assert await audited(h, "login_failed") == ["192.0.2.66"] * LOGIN_FREE_FAILURES
        assert await audited(h, "login_limited") == ["192.0.2.66"]
        async with h.runtime.sessions() as session:
            details = await session.scalar(
                select(AdminAuditEntry.details).where(AdminAuditEntry.action == "login_limited")
            )
        assert details is not None and details["attempts"] == 3
        assert await audited(h, "login") == ["192.0.2.10"]


async def test_each_failure_after_the_free_ones_doubles_the_wait(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    async with stranger(database_url, tmp_path, clock) as (_, client):
        for _ in range(LOGIN_FREE_FAILURES):
            assert (await sign_in(client, "aud", WRONG)).status_code == 401
        waits = []
        for _ in range(4):
            # Inside the wait even the right password is refused, and not checked.
            refused = await sign_in(client, "aud")
            assert refused.status_code == 429
            assert "For mange mislykkede forsøk" in refused.text
            wait = int(refused.headers["Retry-After"])
            waits.append(wait)
            # Trying again inside the wait does not make it longer.
            clock.advance(timedelta(seconds=wait - 1))
            assert (await sign_in(client, "aud", WRONG)).headers["Retry-After"] == "1"
            clock.advance(timedelta(seconds=1))
            assert (await sign_in(client, "aud", WRONG)).status_code == 401
        assert waits == [5, 10, 20, 40]

        clock.advance(timedelta(seconds=80))
        assert (await sign_in(client, "aud")).status_code == 303
        # The right password forgets the failures: the next typo is free again.
        assert (await sign_in(client, "aud", WRONG)).status_code == 401
        assert (await sign_in(client, "aud")).status_code == 303


async def test_the_wait_stops_growing_and_is_forgotten_after_a_day(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    async with stranger(database_url, tmp_path, clock) as (h, client):
        for failures in range(1, 13):
            assert (await sign_in(client, "aud", WRONG)).status_code == 401
            clock.advance(login_delay(failures))
        clock.advance(-login_delay(12))
        refused = await sign_in(client, "aud", WRONG)
        assert int(refused.headers["Retry-After"]) == LOGIN_LONGEST_DELAY.total_seconds()
        # A day after the last failure the client starts afresh.
        clock.advance(timedelta(days=1, seconds=1))
        assert (await sign_in(client, "aud", WRONG)).status_code == 401
        assert (await sign_in(client, "aud", WRONG)).status_code == 401
        async with h.runtime.sessions() as session:
            assert await session.scalar(select(AdminLoginFailures.failures)) == 2


async def test_parallel_guesses_get_no_more_than_the_free_attempts(
    database_url: str, tmp_path: Path
) -> None:
    async with stranger(database_url, tmp_path, FrozenClock(START)) as (_, client):
        answers = await asyncio.gather(*(sign_in(client, "aud", WRONG) for _ in range(12)))
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [401] * LOGIN_FREE_FAILURES + [429] * (12 - LOGIN_FREE_FAILURES)


async def test_a_client_guessing_many_names_is_limited_for_the_hour(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("second", "auditor")
        async with client_at(h, "10.0.0.9") as sprayer:
            for n in range(LOGIN_LIMIT_PER_CLIENT):
                # Different names each time: only the per-client limit can stop this.
                assert (await sign_in(sprayer, f"guess{n}", WRONG)).status_code == 401
            limited = await sign_in(sprayer, "second")
            assert limited.status_code == 429
            assert 0 < int(limited.headers["Retry-After"]) <= 3600
        async with client_at(h, "10.0.0.10") as fresh:
            assert (await sign_in(fresh, "second")).status_code == 303


async def test_clients_are_told_apart_by_trusted_proxies_only(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    async with running(database_url, tmp_path, clock, trusted_proxies=("10.1.0.0/16",)) as h:
        await h.user("aud", "auditor")
        # A stranger reaching the process directly cannot escape its wait by rotating the header.
        for n in range(LOGIN_FREE_FAILURES + 2):
            async with client_at(h, "192.0.2.66", {"X-Forwarded-For": f"198.51.100.{n}"}) as c:
                expected = 401 if n < LOGIN_FREE_FAILURES else 429
                assert (await sign_in(c, "aud", WRONG)).status_code == expected
        # Behind the trusted proxy, one visitor's failures do not slow another visitor.
        for _ in range(LOGIN_FREE_FAILURES):
            async with client_at(h, "10.1.0.2", {"X-Forwarded-For": "203.0.113.5"}) as c:
                assert (await sign_in(c, "aud", WRONG)).status_code == 401
        async with client_at(h, "10.1.0.2", {"X-Forwarded-For": "203.0.113.5"}) as c:
            assert (await sign_in(c, "aud")).status_code == 429
        async with client_at(h, "10.1.0.2", {"X-Forwarded-For": "203.0.113.9"}) as c:
            assert (await sign_in(c, "aud")).status_code == 303
        assert set(await audited(h, "login_failed")) == {"192.0.2.66", "203.0.113.5"}
        async with h.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(AdminLoginFailures)) == 2


async def test_an_address_typed_as_the_name_is_not_kept_in_the_audit_log(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Staff who type their email address (or a subscriber's) into the name field fail to sign
    in; the failures and refusals are audited without the address (docs/privacy.md)."""
    async with stranger(sqlite_url, tmp_path, FrozenClock(START)) as (h, client):
        for _ in range(LOGIN_FREE_FAILURES + 2):
            assert (await sign_in(client, "Kari.Nordmann@etaten.no", WRONG)).status_code in (
                401,
                429,
            )
        async with h.runtime.sessions() as session:
            entries = (
                await session.execute(
                    select(
                        AdminAuditEntry.action, AdminAuditEntry.actor, AdminAuditEntry.details
                    ).where(AdminAuditEntry.action.in_(("login_failed", "login_limited")))
                )
            ).all()
    assert sorted({action for action, _, _ in entries}) == ["login_failed", "login_limited"]
    # A name that is no account's is counted under «(no such account)» (ADR 0028); the first
    # name tried is kept in the details, as «[address]».
    assert {actor for _, actor, _ in entries} == {UNKNOWN_ACCOUNT}
    assert {details["first_name_tried"] for _, _, details in entries} == {"[address]"}


async def test_a_guesser_changing_address_within_an_ipv6_64_is_one_client(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A home, office or server holds a whole /64 and may send from any address in it: each
    fresh address must not bring fresh free guesses."""
    async with running(sqlite_url, tmp_path, clock=FrozenClock(START)) as h:
        await h.user("aud", "auditor")
        for n in range(1, LOGIN_FREE_FAILURES + 1):
            async with client_at(h, f"2001:db8:7:8::{n:x}") as guesser:
                assert (await sign_in(guesser, "aud", WRONG)).status_code == 401
        async with client_at(h, "2001:db8:7:8:abcd::99") as guesser:
            assert (await sign_in(guesser, "aud", WRONG)).status_code == 429
        # Another network is another client; the audit log names each address whole.
        async with client_at(h, "2001:db8:7:9::1") as admin:
            assert (await sign_in(admin, "aud")).status_code == 303
        assert await audited(h, "login_failed") == [
            f"2001:db8:7:8::{n:x}" for n in range(1, LOGIN_FREE_FAILURES + 1)
        ]
        # A refusal while the client waits is counted under the network it is limited as,
        # the address kept beside it (ADR 0028).
        assert await audited(h, "login_limited") == ["2001:db8:7:8::/64"]
        async with h.runtime.sessions() as session:
            details = await session.scalar(
                select(AdminAuditEntry.details).where(AdminAuditEntry.action == "login_limited")
            )
        assert details is not None and details["first_client"] == "2001:db8:7:8:abcd::99"
