"""A page back at a version it showed lately is no news (docs/decisions/0018).

Some pages flip between two versions: a load balancer in front of two servers, one of them
behind with its cache, or a CMS that publishes and withdraws a draft. Compared only with the
latest snapshot, every flip was a change and every subscriber was alerted at every poll.

Others rotate through more versions than five: a news teaser block that shows one of eight
items, a «random tip» box. Each of their versions came back after the five were gone, and
was told again; such a source is known by changing at most of its polls and returning to
versions it showed before, and then any of its versions of the week is no news, for as long
as that mark lasts (a rotation paused and started again is the same rotation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# How far back a version counts as known: the source's last five snapshots (the latest
# among them), taken within a week. Five covers a rotation of up to five versions (two
# servers, or three, each with its own copy) however often it is polled, since every flip
# is stored; more would rarely help and would hide more genuine returns. A week covers a
# page that flips by day or by deployment; a text back after longer (a rule reinstated
# after a month) is news again and is told.
RECALL_SNAPSHOTS = 5
RECALL_WINDOW = timedelta(days=7)
# A source that changed at most of its latest polls (at least CHURN_CHANGES snapshots taken
# within CHURN_POLLS polling intervals, a tenth more for the jitter) rotates rather than
# being edited: its versions are looked for among its last ROTATION_SNAPSHOTS of the week.
# Thirty covers a teaser block or a tip box of up to thirty items; an editor changes a page
# at five polls out of eight only while writing it, and a return then is one to a draft.
ROTATION_SNAPSHOTS = 30
CHURN_POLLS = 8
CHURN_CHANGES = 5
_JITTER_MARGIN = 1.1

Recent = Sequence[tuple[str, datetime]]  # (fingerprint, taken_at) of snapshots, newest first


@dataclass(frozen=True, slots=True)
class Return:
    """New text found among the source's recent versions."""

    taken_at: datetime  # when that version was stored last
    rotating: bool  # found past the last five, in a source that rotates through more
    # The source bore the rotating mark before this return: its operator was told already.
    marked: bool = False
    # Not that version but one that differs from it only in the blocks that rotate
    # (variants.py): an edit of the page's stable part, told already with another teaser.
    variant: bool = False


def returned_to(prints: Iterable[str], recent: Recent, now: datetime) -> datetime | None:
    """Return when the version with one of ``prints`` was taken, if it is one of ``recent``."""
    wanted = set(prints)
    since = now - RECALL_WINDOW
    for fingerprint, taken_at in recent[:RECALL_SNAPSHOTS]:
        if taken_at >= since and fingerprint in wanted:
            return taken_at
    return None


def recalled(
    prints: Iterable[str], recent: Recent, now: datetime, interval_seconds: int
) -> Return | None:
    """Return the known version new text with one of ``prints`` is back at, if any: one of the
    last five, or, for a source that changes at most polls or was seen rotating within the
    week (``rotating``), one of its last thirty."""
    wanted = set(prints)
    back = returned_to(wanted, recent, now)
    if back is not None:
        return Return(back, rotating=False)
    # A rotation paused for a while (a quiet night, a cache held for an hour) and started
    # again is the same rotation: its versions of the week stay known while its mark lasts.
    marked = rotating(recent, now, interval_seconds)
    if not marked and not churning(recent, now, interval_seconds):
        return None
    found = _among_the_rotation(wanted, recent, now)
    return Return(found.taken_at, rotating=True, marked=marked) if found is not None else None


def _among_the_rotation(wanted: set[str], recent: Recent, now: datetime) -> Return | None:
    since = now - RECALL_WINDOW
    for fingerprint, taken_at in recent[RECALL_SNAPSHOTS:ROTATION_SNAPSHOTS]:
        if taken_at >= since and fingerprint in wanted:
            return Return(taken_at, rotating=True)
    return None


def _recalled_churning(
    wanted: set[str], recent: Recent, now: datetime, interval_seconds: int
) -> bool:
    """Tell whether new text is back at a version past the last five of a source churning at
    ``now``: the sign of a rotation."""
    if returned_to(wanted, recent, now) is not None:
        return False
    if not churning(recent, now, interval_seconds):
        return False
    return _among_the_rotation(wanted, recent, now) is not None


def churning(recent: Recent, now: datetime, interval_seconds: int) -> bool:
    """Tell whether the source changed at most of its last ``CHURN_POLLS`` polls before ``now``."""
    since = now - timedelta(seconds=CHURN_POLLS * interval_seconds * _JITTER_MARGIN)
    return sum(1 for _, taken_at in recent if since <= taken_at <= now) >= CHURN_CHANGES


def rotating(recent: Recent, now: datetime, interval_seconds: int) -> bool:
    """Tell whether a source went back, within the recall window, to a version older than its
    last five while it changed at most of its polls (a rotation's mark, which lasts the
    week): the admin asks its editor to pick the stable part."""
    since = now - RECALL_WINDOW
    kept = [(fp, taken_at) for fp, taken_at in recent[:ROTATION_SNAPSHOTS] if taken_at >= since]
    return any(
        _recalled_churning({fingerprint}, kept[i + 1 :], taken_at, interval_seconds)
        for i, (fingerprint, taken_at) in enumerate(kept)
    )


def flapping(returned_at: datetime | None, now: datetime) -> bool:
    """Tell whether a source went back to an earlier version within the recall window."""
    return returned_at is not None and returned_at >= now - RECALL_WINDOW
