"""An edit of a rotating page's stable part is told once, not once per rotating version.

A page that rotates a teaser block through eight versions shows an edit of its heading in
each of the eight in turn. Compared by whole versions (returns.py), each was new, and its
followers were told of the one edit eight times. For a source seen rotating, then, new text
is no news when it differs from one of its versions of the week only in the blocks that
rotate: it is that version with another teaser, and that version was told, or was a return
to a version told.

A block rotates when it came and went: its presence changed at least twice over the week's
versions, oldest first, and the new text. A teaser comes and goes at every round; an edited
heading changes once (the old one goes, the new one comes), a new paragraph once, a removed
one once, so each of those is stable and a second edit of the stable part is still told.
Text put back as it was (a heading reverted, a paragraph put back) came and went too and is
no news, as a revert to a version of the week is not (ADR 0018). A source that churns but
bears no rotating mark yet (edited before any version came back whole) is read so when its
new text shows the rotation itself: a teaser back after more than five versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from services.watcher.domain.returns import RECALL_SNAPSHOTS, RECALL_WINDOW, ROTATION_SNAPSHOTS

Versions = Sequence[tuple[tuple[str, ...], datetime]]  # (blocks, taken_at) newest first
# A block that came and went: present, then absent, then present (or the other way round).
_TURNS = 2


def moving_blocks(chain: Sequence[frozenset[str]]) -> set[str]:
    """Return the blocks whose presence changed at least twice along ``chain`` (the versions'
    block sets, oldest first)."""
    turns: dict[str, int] = {}
    for before, after in pairwise(chain):
        for block in before ^ after:
            turns[block] = turns.get(block, 0) + 1
    return {block for block, count in turns.items() if count >= _TURNS}


def variant_of(
    blocks: Sequence[str], versions: Versions, now: datetime, *, marked: bool = True
) -> datetime | None:
    """Return when the version of the week that new text ``blocks`` differs from only in the
    blocks that rotate was taken, if there is one.

    ``marked``: the source bears the rotating mark (returns.rotating). A source that churns
    without it yet (an edit came before any version came back whole) must show the sign of a
    rotation in the new text itself: a block of it that rotates, back after more than five
    versions without it (``back_after_five``).
    """
    since = now - RECALL_WINDOW
    kept = [(old, taken_at) for old, taken_at in versions[:ROTATION_SNAPSHOTS] if taken_at >= since]
    chain = [frozenset(old) for old, _ in reversed(kept)] + [frozenset(blocks)]
    moving = moving_blocks(chain)
    if not moving:
        return None
    if not marked and not back_after_five(blocks, moving, [old for old, _ in kept]):
        return None
    stable = [block for block in blocks if block not in moving]
    for old, taken_at in kept:
        if [block for block in old if block not in moving] == stable:
            return taken_at
    return None


def back_after_five(blocks: Sequence[str], moving: set[str], kept: Sequence[Sequence[str]]) -> bool:
    """Tell whether new text ``blocks`` holds a block that rotates, absent from the latest five
    of ``kept`` (the versions of the week, newest first) and shown in an older one.

    What a return to a version older than the last five is to a whole version (returns.py):
    the sign of a rotation through more than five. A page edited while its teasers make their
    first round never comes back whole, as each teaser shows next under the edit; each does
    come back. An editor writing a page changes it at most polls too (returns.churning), but
    rarely puts a paragraph back after five versions without it.
    """
    latest = {block for old in kept[:RECALL_SNAPSHOTS] for block in old}
    older = {block for old in kept[RECALL_SNAPSHOTS:] for block in old}
    return any(block in moving and block not in latest and block in older for block in blocks)
