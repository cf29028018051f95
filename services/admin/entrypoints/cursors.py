"""Page cursors over (occurred_at, id) in links: pages stay fast however deep one goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def encode(at: datetime, row_id: int) -> str:
    """Return an opaque cursor for a row."""
    return f"{(at - _EPOCH) // _MICRO}.{row_id}"


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    """Return the position a cursor names, or None if it is absent or malformed."""
    if not cursor or len(cursor) > 40:
        return None
    micros, _, row_id = cursor.partition(".")
    if not (micros.isdigit() and row_id.isdigit()):
        return None
    return _EPOCH + int(micros) * _MICRO, int(row_id)
