"""A page back at a version it showed lately is no news (docs/decisions/0018).

Some pages flip between two versions: a load balancer in front of two servers, one of them
behind with its cache, or a CMS that publishes and withdraws a draft. Compared only with the
latest snapshot, every flip was a change and every subscriber was alerted at every poll.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

# How far back a version counts as known: the source's last five snapshots (the latest
# among them), taken within a week. Five covers a rotation of up to five versions (two
# servers, or three, each with its own copy) however often it is polled, since every flip
# is stored; more would rarely help and would hide more genuine returns. A week covers a
# page that flips by day or by deployment; a text back after longer (a rule reinstated
# after a month) is news again and is told.
RECALL_SNAPSHOTS = 5
RECALL_WINDOW = timedelta(days=7)

Recent = Sequence[tuple[str, datetime]]  # (fingerprint, taken_at) of snapshots, newest first


def returned_to(prints: Iterable[str], recent: Recent, now: datetime) -> datetime | None:
    """Return when the version with one of ``prints`` was taken, if it is one of ``recent``."""
    wanted = set(prints)
    since = now - RECALL_WINDOW
    for fingerprint, taken_at in recent[:RECALL_SNAPSHOTS]:
        if taken_at >= since and fingerprint in wanted:
            return taken_at
    return None


def flapping(returned_at: datetime | None, now: datetime) -> bool:
    """Tell whether a source went back to an earlier version within the recall window."""
    return returned_at is not None and returned_at >= now - RECALL_WINDOW
