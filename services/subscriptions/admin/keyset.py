"""Keyset cursors over (occurred_at, id): pages stay fast however deep one goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Tuple, literal, tuple_

from shared.db import UTCDateTime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def keyset(at: datetime, row_id: int) -> Tuple:
    """Return a typed row value to compare (occurred_at, id) columns against."""
    return tuple_(literal(at, UTCDateTime()), literal(row_id, BigInteger()))


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
