"""Refused sign-ins a stranger can repeat at will grow the audit log by one entry a client and
hour, counted; a wrong password for an account, and every sign-in, are still audited each time
(docs/decisions/0028-refused-sign-ins-counted-per-hour.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.authentication import UNKNOWN_ACCOUNT
from shared.clock import FrozenClock
from tests.integration.admin.harness import PASSWORD, Harness, csrf_token, sign_in
from tests.integration.admin.test_admin_login_throttle import START, WRONG, client_at, stranger

TRIES = 1000


async def _entries(h: Harness) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        query = select(AdminAuditEntry).order_by(AdminAuditEntry.id)
        return list((await session.scalars(query)).all())


def _attempts(entry: AdminAuditEntry) -> int:
    return int((entry.details or {}).get("attempts", 1))


async def test_a_thousand_refused_sign_ins_make_a_bounded_number_of_entries(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    async with stranger(database_url, tmp_path, clock) as (h, client):
        form = await client.get("/admin/login")
        token = csrf_token(form.text)
        answers = []
        for n in range(TRIES):
            # Every other try guesses the admin's password, the rest names no account; all
            # within the hour (3 s apart), from one client.
            name = "aud" if n % 2 else f"guess{n}@example.no"
            posted = await client.post(
                "/admin/login", data={"name": name, "password": WRONG, "csrf_token": token}
            )
            answers.append((name, posted.status_code))
            clock.advance(timedelta(seconds=3))
        assert {code for _, code in answers} == {401, 429}
        async with client_at(h, "192.0.2.10") as admin:
            assert (await sign_in(admin, "aud", PASSWORD)).status_code == 303

        entries = await _entries(h)
        # Before, one entry for each of the 1,000 refusals.
        assert len(entries) <= 30, [(e.action, e.actor) for e in entries]
        refusals = [e for e in entries if e.action in ("login_failed", "login_limited")]
        assert sum(map(_attempts, refusals)) == TRIES
        # Each wrong password for the account is an entry of its own, with the address.
        wrong = [e for e in refusals if e.action == "login_failed" and e.actor == "aud"]
        assert len(wrong) == sum(1 for name, code in answers if name == "aud" and code == 401)
        assert all(e.client == "192.0.2.66" and e.details is None for e in wrong)
        # Names that are no account: one entry, counted, naming the first (as «[address]»).
        (unknown,) = [e for e in refusals if e.action == "login_failed" and e not in wrong]
        assert unknown.actor == UNKNOWN_ACCOUNT and unknown.client == "192.0.2.66"
        assert unknown.details is not None
        assert unknown.details["first_name_tried"] == "[address]"
        assert _attempts(unknown) == sum(
            1 for name, code in answers if name != "aud" and code == 401
        )
        limited = sorted((e.actor, _attempts(e)) for e in refusals if e.action == "login_limited")
        assert limited == sorted(
            [
                ("aud", sum(1 for name, code in answers if name == "aud" and code == 429)),
                (UNKNOWN_ACCOUNT, sum(1 for n, code in answers if n != "aud" and code == 429)),
            ]
        )
        # The admin's own sign-in is there as ever.
        assert [(e.actor, e.client) for e in entries if e.action == "login"] == [
            ("aud", "192.0.2.10")
        ]

        # The audit page says how many, and when the last came.
        async with client_at(h, "192.0.2.10") as admin:
            await sign_in(admin, "aud", PASSWORD)
            page = await admin.get("/admin/audit", params={"lang": "en"})
        assert "attempts this hour, the last at 09:49:57" in page.text


async def test_the_next_hour_starts_a_new_entry(database_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(START)
    async with stranger(database_url, tmp_path, clock) as (h, client):
        for _ in range(2):
            assert (await sign_in(client, "nobody", WRONG)).status_code == 401
            assert (await sign_in(client, "nobody-else", WRONG)).status_code == 401
            clock.advance(timedelta(hours=1))
        entries = [e for e in await _entries(h) if e.action == "login_failed"]
        assert [(e.actor, _attempts(e)) for e in entries] == [(UNKNOWN_ACCOUNT, 2)] * 2


SPELLINGS = [
    "kari%40example.no",
    '"kari"@example.no',
    "kari@localhost",
    "kari@[127.0.0.1]",
    "ola\uff20example\uff0eno",
]


async def test_an_address_typed_as_the_name_in_any_spelling_is_not_kept(
    database_url: str, tmp_path: Path
) -> None:
    # Before, these were kept as typed, for the audit log's years: redact reads running text,
    # and passes over an address percent-encoded, quoted, or at a host without a dot.
    async with stranger(database_url, tmp_path, FrozenClock(START)) as (h, _):
        for n, name in enumerate(SPELLINGS):
            async with client_at(h, f"192.0.2.{100 + n}") as client:
                token = csrf_token((await client.get("/admin/login")).text)
                posted = await client.post(
                    "/admin/login", data={"name": name, "password": WRONG, "csrf_token": token}
                )
                assert posted.status_code == 401
        tried = [
            (e.details or {}).get("first_name_tried")
            for e in await _entries(h)
            if e.action == "login_failed"
        ]
    assert tried == ["[address]"] * len(SPELLINGS)
