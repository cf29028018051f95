"""Events that tell operators a source has started failing, or has recovered."""

from __future__ import annotations

from services.watcher.adapters.tables import WatchedSource
from shared.events import SourceFailing, SourceRecovered


def failing_event(row: WatchedSource) -> SourceFailing:
    """Return the event for a source that has just reached the failure threshold."""
    return SourceFailing(
        source_id=row.id,
        source_url=row.url,
        title=row.title or row.url,
        failures=row.consecutive_failures,
        last_error=row.last_error or "unknown error",
    )


def recovered_event(row: WatchedSource) -> SourceRecovered:
    """Return the event for a failing source that answered usefully again (before the reset)."""
    return SourceRecovered(
        source_id=row.id,
        source_url=row.url,
        title=row.title or row.url,
        failures=max(row.consecutive_failures, 1),
        last_error=row.last_error or "unknown error",
    )
