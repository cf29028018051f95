"""Where a list of the staff pages ends, or finds nothing, it says so in words, and never
offers a next page that holds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from services.admin.adapters import audit_log
from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.consent_pages import PAGE_SIZE
from tests.integration.admin.harness import Harness, running, sign_in


async def _entries(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AdminAuditEntry)) or 0)


async def test_an_audit_log_of_exactly_one_page_offers_no_next_page(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("aud", "auditor")
        assert (await sign_in(client, "aud")).status_code == 303
        # The page's own read is the last entry that makes the log exactly one page long.
        missing = PAGE_SIZE - await _entries(h) - 1
        async with h.runtime.sessions() as session, session.begin():
            for _ in range(missing):
                audit_log.record(
                    session,
                    actor="aud",
                    action="ledger_read",
                    client="test",
                    now=h.runtime.clock.now(),
                )
        page = await client.get("/admin/audit?lang=en")
        assert await _entries(h) == PAGE_SIZE
        assert page.text.count("<tr>") == PAGE_SIZE + 1  # the heading's row and each entry
        assert 'rel="next"' not in page.text
        # A link kept from before, past the oldest entry, says there is nothing older.
        past = await client.get("/admin/audit?before=1.1&lang=en")
        assert past.status_code == 200
        assert "<table" not in past.text
        assert "There are no older entries." in past.text
        assert '<a href="/admin/audit?lang=en">The newest entries</a>' in past.text


async def test_a_ledger_filter_that_finds_nothing_says_so(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("aud", "auditor")
        assert (await sign_in(client, "aud")).status_code == 303
        page = await client.get("/admin/ledger?topic=norge-i-verden&lang=nn")
        assert page.status_code == 200
        assert "<table" not in page.text
        assert "Ingen oppføringar i samtykkeloggen passar til dette filteret." in page.text
        past = await client.get("/admin/ledger?topic=norge-i-verden&after=1.1&lang=en")
        assert "There are no more records." in past.text
        assert '<a href="/admin/ledger?topic=norge-i-verden&amp;lang=en">' in past.text


async def test_the_audit_api_gives_a_next_cursor_only_when_older_entries_exist(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            # Each read is an entry itself, recorded before the page is read.
            size = await _entries(h) + 1
            whole = (await api.get("/api/v1/admin/audit", params={"limit": size})).json()
            assert len(whole["entries"]) == size
            assert whole["next"] is None
            # One entry more than a page: the cursor leads to exactly that entry.
            first = (await api.get("/api/v1/admin/audit", params={"limit": size})).json()
            assert len(first["entries"]) == size
            older = await api.get(
                "/api/v1/admin/audit", params={"limit": size, "before": first["next"]}
            )
        assert [e["id"] for e in older.json()["entries"]] == [whole["entries"][-1]["id"]]
        assert older.json()["next"] is None


async def test_the_ledger_api_gives_a_next_cursor_only_when_more_records_exist(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for n in range(2):
            await h.sign_up(f"person{n}@example.org")
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            params = {"limit": 2, "action": "requested"}
            exact = (await api.get("/api/v1/admin/ledger", params=params)).json()
        assert len(exact["records"]) == 2
        assert exact["next"] is None
