"""Once a day a poll asks without its validators, so a server cannot hide a change for ever.

A conditional request (If-None-Match, If-Modified-Since) trusts the server's 304. Some servers
answer it wrongly: an ETag made from a template or a build's fixed file times stays when the
page changes, and a cache revalidates against a stale copy. Each such 304 was taken as «not
modified», and a change was never seen while the source showed as working. Once a day, at an
hour of its own, each source is asked in full; the same bytes back cost a comparison of their
hash and nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

_DAY_SECONDS: Final = 86_400
# Spreads the sources' hours over the day (a prime step), so they are not all asked in full at
# midnight.
_STEP: Final = 7919


def asks_in_full(source_id: int, last_checked: datetime | None, now: datetime) -> bool:
    """Tell whether a poll at ``now`` sends no validators: the first since the source's hour."""
    if last_checked is None:
        return False  # never polled: it has no validators to leave out
    offset = source_id * _STEP % _DAY_SECONDS
    return (last_checked.timestamp() - offset) // _DAY_SECONDS != (
        now.timestamp() - offset
    ) // _DAY_SECONDS
