"""Page cursors over (occurred_at, id) in links: pages stay fast however deep one goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from services.admin.entrypoints.refusals import Unusable

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)
# Row ids are 64-bit integers in the database; anything larger was never given out.
_LAST_ID: Final = 2**63 - 1
_BAD: Final = Unusable(
    "bad_cursor", "the page cursor is not one this service gave out; start from the first page"
)


def encode(at: datetime, row_id: int) -> str:
    """Return an opaque cursor for a row."""
    return f"{(at - _EPOCH) // _MICRO}.{row_id}"


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    """Return the position a cursor names, None if there is none; raise Unusable if malformed."""
    if not cursor:
        return None
    micros, _, row_id = cursor.partition(".")
    if len(cursor) > 40 or not (cursor.isascii() and micros.isdigit() and row_id.isdigit()):
        raise _BAD
    try:
        at = _EPOCH + int(micros) * _MICRO
    except OverflowError:
        raise _BAD from None
    if int(row_id) > _LAST_ID:
        raise _BAD
    return at, int(row_id)
