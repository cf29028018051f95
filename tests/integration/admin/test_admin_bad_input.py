"""Input out of range answers 400 with the reason, on the admin pages, the CSV and the API.

Ids past a 64-bit integer, dates past the last one a calendar has, and page cursors nobody gave
out used to reach the database or the date arithmetic and come back as 500s. On SQLite and on
PostgreSQL, whose integers and timestamps have their own limits.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from services.admin.adapters.tables import AdminAuditEntry, PublisherToken
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in
from tests.integration.admin.publisher_support import staff_bearer
from tests.support.form_errors import field_marks, summary_links

HUGE = str(2**63)
CURSORS = [
    f"{10**30}.1",  # a time past the last day a datetime can hold
    f"1.{HUGE}",  # an id past a 64-bit integer
    "1.-1",
    "x.1",
]


async def signed_in(h: Harness, client: httpx.AsyncClient) -> None:
    await h.user("ops", "operator")
    answer = await sign_in(client, "ops")
    assert answer.status_code == 303


# The field a refusal's reason (its first word, or the date it names) is about.
FILTER_FIELD = {
    "9999-12-30": "to",
    **{field: field for field in ("to", "from", "action", "topic")},
}
DATES = "Dates are written YYYY-MM-DD; the last one that can be used is 9999-12-30."
LISTS = "choose the topic and action from the lists"


@pytest.mark.parametrize(
    ("query", "status", "reason", "page_reason"),
    [
        ("to=9999-12-31", 400, "9999-12-30", DATES),
        ("from=9999-12-31&to=9999-12-31", 400, "9999-12-30", DATES),
        # Not a day, or a day in a spelling no form writes: refused with the pages' reason,
        # naming the field and the form, not in the date type's own words.
        ("to=2026-02-30", 400, "to must be a day written YYYY-MM-DD", DATES),
        ("from=0000-01-01", 400, "from must be a day written YYYY-MM-DD", DATES),
        ("from=20261205", 400, "from must be a day written YYYY-MM-DD", DATES),
        ("from=%2B2026-12-05", 400, "from must be a day written YYYY-MM-DD", DATES),
        ("to=2026-W49-6", 400, "to must be a day written YYYY-MM-DD", DATES),
        ("from=1764892800", 400, "from must be a day written YYYY-MM-DD", DATES),
        ("from=2026-12-05T00:00", 400, "from must be a day written YYYY-MM-DD", DATES),
        # The wrong way round: nothing matches, and an empty page said so as if none were there.
        ("from=2026-12-06&to=2026-12-01", 400, "from must be on or before to", "swap them"),
        ("action=deleted", 400, "action must be one of", LISTS),
        ("topic=../../etc", 400, "topic must be", LISTS),
    ],
)
async def test_a_ledger_filter_out_of_range_is_a_400(
    database_url: str, tmp_path: Path, query: str, status: int, reason: str, page_reason: str
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        await signed_in(h, client)
        headers = await staff_bearer(h)
        for path in ("/api/v1/admin/ledger", "/api/v1/admin/ledger.csv"):
            answer = await client.get(f"{path}?{query}", headers=headers)
            assert answer.status_code == status, (path, answer.text)
            assert reason in str(answer.json()["detail"])
        for path in ("/admin/ledger", "/admin/ledger.csv"):
            answer = await client.get(f"{path}?{query}&lang=en")
            assert answer.status_code == 400, (path, answer.text)
            assert page_reason in answer.text  # the reason, not a stale-form message
        # The page names the refusal beside its field, linked from the summary, which takes
        # the focus; before, a paragraph beside no field.
        page = await client.get(f"/admin/ledger?{query}&lang=en")
        [field] = summary_links(page.text)
        assert field == FILTER_FIELD[reason.split()[0]]
        marks = field_marks(page.text, field)
        assert marks.invalid and marks.described_by == (f"{field}-error",)
        assert page_reason in marks.error_text


async def test_a_topic_filter_longer_than_any_slug_is_a_400_and_no_long_audit_entry(
    database_url: str, tmp_path: Path
) -> None:
    """60,000 letters were a 500 on SQLite (a LIKE pattern «too complex») and a cut-off CSV;
    30,000 were a 30 KB audit entry at every request. The staff API took 100 already."""
    async with running(database_url, tmp_path) as h, h.client() as client:
        await signed_in(h, client)
        for letters in (101, 30_000, 60_000):
            for path in ("/admin/ledger", "/admin/ledger.csv"):
                answer = await client.get(f"{path}?topic={'a' * letters}&lang=en")
                assert answer.status_code == 400, (path, letters)
                assert LISTS in answer.text
        assert (await client.get(f"/admin/ledger?topic={'a' * 100}")).status_code == 200
        async with h.runtime.sessions() as session:
            details = (await session.scalars(select(AdminAuditEntry.details))).all()
        assert max(len(str(d)) for d in details) < 1000


@pytest.mark.parametrize("cursor", CURSORS)
async def test_a_page_cursor_nobody_gave_out_is_a_400(
    database_url: str, tmp_path: Path, cursor: str
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        await signed_in(h, client)
        headers = await staff_bearer(h)
        for path in (
            f"/api/v1/admin/ledger?after={cursor}",
            f"/api/v1/admin/audit?before={cursor}",
        ):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 400, (path, answer.text)
            assert "cursor" in answer.json()["detail"]
        for path in (
            f"/admin/ledger?after={cursor}&lang=en",
            f"/admin/audit?before={cursor}&lang=en",
        ):
            answer = await client.get(path)
            assert answer.status_code == 400, (path, answer.text)
            assert "first page" in answer.text


async def test_ids_past_a_64_bit_integer_are_a_400(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        await signed_in(h, client)
        for path in (
            f"/admin/sources/{HUGE}/diff?lang=en",
            f"/admin/sources/{HUGE}/diff?from=1&to=2&lang=en",
            "/admin/sources/-1/diff?lang=en",
        ):
            answer = await client.get(path)
            assert answer.status_code == 400, (path, answer.text)
            assert "not a source number" in answer.text
        snapshots = await client.get(f"/admin/sources/1/diff?from={HUGE}&to=1&lang=en")
        assert snapshots.status_code in (400, 404), snapshots.text


async def test_a_null_character_in_a_form_is_a_400_that_says_so(
    database_url: str, tmp_path: Path
) -> None:
    # PostgreSQL keeps no NUL in a text column: a publisher token's name, a desk note or an
    # erasure's reason holding one came back as a 500.
    async with running(database_url, tmp_path) as h, h.client() as client:
        await signed_in(h, client)
        page = await client.get("/admin/publishers?lang=en")
        answer = await client.post(
            "/admin/publishers?lang=en",
            data={"csrf_token": csrf_token(page.text), "name": "WordPress\x00"},
        )
        assert answer.status_code == 400, answer.text[:300]
        assert "null character" in answer.text
        async with h.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(PublisherToken)) == 0


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        # Read as the last one alone, an export for two topics held only the second's records
        # and said nothing: a data-protection officer would hand on half a ledger.
        ("/api/v1/admin/ledger.csv", "topic=norge-i-verden&topic=helsenyheter", "topic"),
        ("/api/v1/admin/ledger", "action=requested&action=erased", "action"),
        ("/api/v1/admin/ledger", "from=2026-03-29&from=2026-03-30", "from"),
        ("/api/v1/admin/audit", "limit=5&limit=10", "limit"),
    ],
)
async def test_a_query_naming_a_filter_twice_is_a_400_not_the_last_one_read(
    sqlite_url: str, tmp_path: Path, path: str, query: str, name: str
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("ops", "operator")
        answer = await client.get(f"{path}?{query}", headers=await staff_bearer(h))
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(f"{name} is given more than once")


@pytest.mark.parametrize("path", ["/api/v1/admin/consent/lookup", "/api/v1/admin/consent/export"])
async def test_a_consent_body_with_a_field_it_does_not_take_is_refused_naming_it(
    sqlite_url: str, tmp_path: Path, path: str
) -> None:
    # Ignored before: an export asked for one topic's records (or a lookup «as of» a day)
    # answered with everything, as if the field had been read, and nothing said otherwise.
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("ops", "operator")
        body = {"address": "kari@example.org", "topic": "norge-i-verden"}
        answer = await client.post(path, json=body, headers=await staff_bearer(h))
        async with h.runtime.sessions() as session:
            audited = await session.scalar(
                select(func.count()).where(AdminAuditEntry.action.like("consent_%"))
            )
    assert answer.status_code == 422, answer.text
    refused = answer.json()
    assert refused["detail"] == "the request cannot be used"
    [problem] = refused["errors"]
    assert (problem["field"], problem["input"]) == ("topic", "norge-i-verden")
    assert "not permitted" in problem["reason"]
    assert audited == 0
