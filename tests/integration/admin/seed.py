"""Rows the operations and ledger views show: snapshots, deliveries, digest runs, ledger steps."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.tables import Delivery, DigestRun
from services.subscriptions.adapters.tables import ConsentRecord
from services.watcher.adapters.snapshots import pack
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.command_api import Push, publish_change
from services.watcher.domain.content import Content

# Three versions of a page: the second rewrites a line, the third adds one.
VERSIONS = (
    ("Vaksiner", ("Vaksinen gis om høsten.", "Bestill time hos fastlegen.")),
    ("Vaksiner", ("Vaksinen gis om høsten og våren.", "Bestill time hos fastlegen.")),
    (
        "Vaksiner",
        ("Vaksinen gis om høsten og våren.", "Bestill time hos fastlegen.", "Ny: gratis for barn."),
    ),
)


def failing_source(
    url: str, topics: list[str], reason: str, now: datetime | None = None
) -> WatchedSource:
    """Return a watched source that failed its last three polls, with the watcher's reason."""
    return WatchedSource(
        url=url,
        kind="page",
        topics=topics,
        interval_seconds=900,
        status="failing",
        consecutive_failures=3,
        last_error=reason,
        last_checked_at=now,
    )


async def source_with_snapshots(
    session: AsyncSession, url: str, now: datetime, topics: list[str]
) -> tuple[int, list[int]]:
    """Store a watched source with three snapshots a day apart; return its id and theirs."""
    source = WatchedSource(
        url=url, kind="page", topics=topics, interval_seconds=3600, status="ok", active=True
    )
    session.add(source)
    await session.flush()
    ids = []
    for n, (title, blocks) in enumerate(VERSIONS):
        content = Content(title, blocks, frozenset(), None, None)
        snapshot = Snapshot(
            source_id=source.id,
            taken_at=now - timedelta(days=len(VERSIONS) - n),
            fingerprint=content.fingerprint,
            title=title,
            content=pack(content),
        )
        session.add(snapshot)
        await session.flush()
        ids.append(snapshot.id)
    return source.id, ids


async def rotation(session: AsyncSession, source_id: int, shown: list[int], last: datetime) -> None:
    """Store snapshots of a page that showed the teasers numbered in ``shown`` in turn, one at
    each of its polls (900 s apart), the last at ``last``."""
    for n, teaser in enumerate(shown):
        content = Content("Forside", (f"Aktuelt: sak nummer {teaser}.",), frozenset(), None, None)
        session.add(
            Snapshot(
                source_id=source_id,
                taken_at=last - timedelta(seconds=900 * (len(shown) - 1 - n)),
                fingerprint=content.fingerprint,
                title="Forside",
                content=pack(content),
            )
        )
    await session.flush()


async def pushed_after_a_told_change(
    sessions: async_sessionmaker[AsyncSession], source_id: int, now: datetime
) -> None:
    """Push a change for a source minutes after a poll told one: it waits for the page."""
    async with sessions() as session, session.begin():
        source = await session.get(WatchedSource, source_id)
        assert source is not None
        source.last_changed_at = now - timedelta(minutes=5)
        push = Push(
            topics=tuple(source.topics), url=source.url, title="Side", note="Ny.", minor=False
        )
    async with sessions() as session, session.begin():
        await publish_change(session, push, "seed-1", "cms", now)


# Per day back from today: (status, attempts) of each mail made that day.
MAIL = {
    0: [("queued", 0), ("queued", 2), ("sent", 0)],
    1: [("sent", 0), ("sent", 1), ("failed", 8)],
    3: [("sent", 0), ("dropped", 0)],
}


async def deliveries(session: AsyncSession, now: datetime) -> None:
    """Store mails in several states over the last days (see ``MAIL``)."""
    rows: list[dict[str, Any]] = []
    for back, mails in MAIL.items():
        made = now - timedelta(days=back)
        for status, attempts in mails:
            rows.append(
                {
                    "subscriber_id": uuid.uuid4(),
                    "batch_key": f"alert:{uuid.uuid4()}",
                    "kind": "alert",
                    "reference": {},
                    "status": status,
                    "attempts": attempts,
                    "next_attempt_at": made,
                    "created_at": made,
                }
            )
    await session.execute(insert(Delivery), rows)


async def digest_run(session: AsyncSession, key: str, end: datetime, status: str) -> None:
    """Store one daily digest run."""
    session.add(
        DigestRun(
            key=key,
            frequency="daily",
            period_start=end - timedelta(days=1),
            period_end=end,
            status=status,
            started_at=end,
            finished_at=end + timedelta(minutes=1) if status == "done" else None,
            deliveries=12,
        )
    )


async def ledger_steps(
    session: AsyncSession, count: int, first_day: date, topics: tuple[str, ...]
) -> None:
    """Store ``count`` requested/confirmed steps of made-up subjects, spread over days."""
    rows = []
    for n in range(count):
        at = datetime.combine(first_day, time.min, tzinfo=UTC) + timedelta(hours=n)
        rows.append(
            {
                "subject_hash": f"{n:064x}",
                "action": "requested" if n % 2 == 0 else "confirmed",
                "topics": [topics[n % len(topics)]],
                "frequency": "daily",
                "language": "nb",
                "privacy_version": None,
                "privacy_hash": None,
                "page": None,
                "channel": "web",
                "token_id": None,
                "occurred_at": at,
                "details": None,
            }
        )
    await session.execute(insert(ConsentRecord), rows)


async def steps_with_details(session: AsyncSession, at: datetime) -> None:
    """Store the kinds of details a step records: who in the organisation acted and why, a
    notice not shown on the page, the route of an unsubscribe through the API, and a key no
    release names (as a later one might record)."""
    details: list[dict[str, object]] = [
        {"by": "organisation", "actor": "personvern", "reason": "Ringte, sak 2026/117"},
        {"notice_shown": False},
        {"route": "one-click", "case": {"system": "<sak>", "number": 117}},
    ]
    session.add_all(
        ConsentRecord(
            subject_hash=f"{n + 1:x}" * 64,
            action="unsubscribed",
            topics=[],
            channel="api" if "route" in noted else "admin",
            occurred_at=at,
            details=noted,
        )
        for n, noted in enumerate(details)
    )


GONE_PAGE = "https://example.org/borte"
GONE_PAGE_MOVED_TO = "https://example.org/ny-side"
ERROR_PAGE = "https://example.org/feil"
ERROR_SAID = "Det oppstod en feil. <Referanse: 8F3A-22>"  # quoted from a page: untrusted


async def gone_source(
    session: AsyncSession,
    now: datetime,
    topics: list[str],
    *,
    days: float = 4,
    url: str = GONE_PAGE,
    title: str = "Borte-siden",
    last_error: str | None = None,
) -> int:
    """Store a source that has answered only 404 (or what ``last_error`` says) for ``days``
    (gone after three), as the watcher leaves one; return its id."""
    row = WatchedSource(
        url=url,
        kind="page",
        topics=topics,
        interval_seconds=3600,
        ignore=[],
        active=True,
        status="failing",
        consecutive_failures=90,
        title=title,
        next_check_at=now,
        missing_since=now - timedelta(days=days),
        gone_at=now - timedelta(days=days - 3) if days >= 3 else None,
        moved_to=GONE_PAGE_MOVED_TO,
        last_error=last_error or f"HTTP 404 from {url}",
    )
    session.add(row)
    await session.flush()
    return row.id


async def error_page_source(session: AsyncSession, now: datetime, topics: list[str]) -> int:
    """Store a source that has shown only ``ERROR_SAID`` in place of its text for four days
    (put to its editor after three), as the watcher leaves one; return its id."""
    reason = (
        f"no usable content: page shows an error message in place of its content: {ERROR_SAID!r}"
    )
    return await gone_source(
        session, now, topics, url=ERROR_PAGE, title="Feilsiden", last_error=reason
    )
