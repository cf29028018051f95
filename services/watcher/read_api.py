"""What the watcher publishes for the admin: each source's health, and trying a new source."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.gone_rows import gone_sources
from services.watcher.adapters.held_pushes import decoded, held_at
from services.watcher.adapters.snapshot_rows import newest_of_source, newest_prints
from services.watcher.adapters.source_reads import (
    active_status_counts,
    ids_by_url,
    oldest_due,
    source_url,
    sources_failing_first,
)
from services.watcher.domain.failures import Failure, FailureReason, failure_reason
from services.watcher.domain.gone import Absence, absence
from services.watcher.domain.joined import one_per_edit
from services.watcher.domain.news import snapshots_of_diff_url
from services.watcher.domain.outcome import Health
from services.watcher.domain.returns import ROTATION_SNAPSHOTS, flapping, rotating
from services.watcher.domain.told import pending
from services.watcher.domain.trial_result import SourceTrial, TrialRefused
from shared.events import ContentChanged
from shared.settings import Settings

__all__ = [
    "Absence",
    "Failure",
    "FailureReason",
    "GonePage",
    "SourceStatus",
    "SourceTrial",
    "TrialRefused",
    "as_sent",
    "gone_pages",
    "snapshot_diff",
    "source_address",
    "source_ids",
    "source_poll_lag",
    "source_snapshots",
    "source_status_counts",
    "source_statuses",
    "try_source",
]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One watched source as the operations view shows it."""

    url: str
    kind: str
    topics: tuple[str, ...]
    active: bool
    status: str
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    # A working source that went back to a version it showed lately (returns.py). Apart from
    # status, which stays the stored one so that a monitor counting ok sources keeps them.
    flapping: bool
    # Until when the page's next new text is taken as told by a publisher's push (told.py),
    # while that lasts; and how many pushed changes wait for the page to be read.
    told_until: datetime | None = None
    held_pushes: int = 0
    # A flapping source that went back to versions older than its last five, as one that
    # rotates through more (a teaser block, a «random tip»): its editor should pick the
    # stable part. Flapping too, and its status stays the stored one all the same.
    rotating: bool = False

    @property
    def shown_status(self) -> str:
        """The health the admin pages word: a rotating or flapping source's own, else its
        status."""
        return "rotating" if self.rotating else "flapping" if self.flapping else self.status

    @property
    def failure(self) -> FailureReason | None:
        """Why the last poll failed, for a page to word in its language; None if it did not
        fail or its reason is in no form the watcher knows (then ``last_error`` is shown)."""
        return failure_reason(self.last_error) if self.last_error else None


async def source_statuses(session: AsyncSession, now: datetime) -> list[SourceStatus]:
    """Return every source, failing ones first; a working one that flips is marked flapping,
    and one that rotates through more versions than five rotating too."""
    return [
        SourceStatus(
            url=s.url,
            kind=s.kind,
            topics=tuple(s.topics),
            active=s.active,
            status=s.status,
            last_checked_at=s.last_checked_at,
            last_changed_at=s.last_changed_at,
            consecutive_failures=s.consecutive_failures,
            last_error=s.last_error,
            flapping=s.status == Health.OK and flapping(s.returned_at, now),
            told_until=s.told_until if pending(s.told_until, now) else None,
            held_pushes=len(decoded(s.held_pushes)),
            rotating=s.status == Health.OK
            and flapping(s.returned_at, now)
            # Its latest versions are read only for a flapping source: few, and at most 30 rows.
            and rotating(
                await newest_prints(session, s.id, ROTATION_SNAPSHOTS), now, s.interval_seconds
            ),
        )
        for s in await sources_failing_first(session)
    ]


async def source_status_counts(session: AsyncSession) -> dict[str, int]:
    """Return how many active sources have each status, for the metrics."""
    return await active_status_counts(session)


async def source_poll_lag(session: AsyncSession, now: datetime) -> float:
    """Return how many seconds the active source due a poll the longest has waited for it
    (0 when none is due), for the metrics.

    A poll under way waits a few seconds; one put back because its host's other polls held
    the turns (handlers.poll) waits its lease out, and a site with more sources than its turns
    serve, or no watcher claiming, makes the wait grow.
    """
    due = await oldest_due(session)
    return max((now - due).total_seconds(), 0.0) if due is not None else 0.0


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One stored snapshot of a source, without its content."""

    id: int
    taken_at: datetime
    title: str


@dataclass(frozen=True, slots=True)
class SourceSnapshots:
    """A source and its stored snapshots, newest first, for picking two to compare."""

    source_id: int
    url: str
    snapshots: tuple[SnapshotInfo, ...]


async def source_address(session: AsyncSession, source_id: int) -> str | None:
    """Return a source's address as the catalogue has it (not where it redirects), or None."""
    return await source_url(session, source_id)


async def source_ids(session: AsyncSession) -> dict[str, int]:
    """Return each source's id by its URL, for linking to its snapshots."""
    return await ids_by_url(session)


async def source_snapshots(
    session: AsyncSession, source_id: int, *, limit: int = 200
) -> SourceSnapshots | None:
    """Return a source's newest snapshots, or None if there is no such source."""
    url = await source_url(session, source_id)
    if url is None:
        return None
    rows = await newest_of_source(session, source_id, limit)
    return SourceSnapshots(
        source_id,
        url,
        tuple(SnapshotInfo(i, taken_at, title) for i, taken_at, title in rows),
    )


async def change_diff(session: AsyncSession, diff_url: str | None) -> str | None:
    """Return the unified diff a change's ``diff_url`` points at; None if there is none to show
    (a pushed change, or snapshots gone with retention)."""
    pair = snapshots_of_diff_url(diff_url) if diff_url else None
    if pair is None:
        return None
    return await snapshot_diff(session, *pair)


async def try_source(
    settings: Settings,
    url: str,
    kind: str,
    *,
    selector: str | None = None,
    ignore: tuple[str, ...] = (),
) -> SourceTrial:
    """Fetch and extract a source once, as a poll would (watcher.trial.try_source)."""
    # The fetcher and the parsers are imported at the first trial, not where the admin is
    # merely served: a process without the watcher then never loads them (bench/startup.py).
    from services.watcher import trial

    return await trial.try_source(settings, url, kind, selector=selector, ignore=ignore)


async def snapshot_diff(
    session: AsyncSession, source_id: int, from_id: int, to_id: int
) -> str | None:
    """Return the unified diff of two snapshots of a source, or None if either is not there."""
    from services.watcher.retention import SnapshotNotFound, diff_between

    try:
        return await diff_between(session, source_id, from_id, to_id)
    except SnapshotNotFound:
        return None


@dataclass(frozen=True, slots=True)
class GonePage:
    """A watched page that has answered only 404 or 410, or shown only an error message in
    place of its text, for long enough, not yet confirmed."""

    source_id: int
    url: str
    title: str | None
    topics: tuple[str, ...]
    missing_since: datetime
    gone_at: datetime
    moved_to: str | None  # where it led after redirects before it went
    # What it showed at its last poll, and the message quoted; None when that poll failed
    # otherwise (a timeout), which does not tell.
    shows: Absence | None = None
    said: str | None = None


async def gone_pages(session: AsyncSession) -> list[GonePage]:
    """Return the pages an editor is asked to confirm as gone, longest gone first."""
    pages = []
    for s in await gone_sources(session):
        if s.missing_since is None or s.gone_at is None:
            continue
        shows, said = absence(s.last_error) or (None, None)
        pages.append(
            GonePage(
                source_id=s.id,
                url=s.url,
                title=s.title,
                topics=tuple(s.topics),
                missing_since=s.missing_since,
                gone_at=s.gone_at,
                moved_to=s.moved_to,
                shows=shows,
                said=said,
            )
        )
    return pages


async def held_pushes_of(session: AsyncSession, urls: Collection[str]) -> list[ContentChanged]:
    """Return the publishers' pushes that wait for a poll of the sources at ``urls`` (told.py),
    polled or stopped: pausing or removing a source sends them, a review source's removal
    withdraws them, as it withdraws its changes on the desk (the admin's catalogue)."""
    return await held_at(session, urls) if urls else []


def as_sent(pushes: Sequence[ContentChanged]) -> list[ContentChanged]:
    """Return the changes held pushes sent together become: one per page for its real edits
    (a minor push beside them apart), their notes kept (domain/joined.py), as a pause or a
    removal sends them."""
    return list(one_per_edit(pushes))
