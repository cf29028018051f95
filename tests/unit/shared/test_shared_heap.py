"""Freezing the start-up heap keeps old objects out of collections, and collects new ones."""

from __future__ import annotations

import gc
import weakref

from shared.heap import YOUNG_COLLECTION_THRESHOLD, freeze_startup_objects


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_objects_alive_at_start_up_are_frozen_and_later_cycles_are_still_collected() -> None:
    before = _Node()
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        after = _Node()
        gone = weakref.ref(after)
        frozen = weakref.ref(before)
        del after, before
        gc.collect()
        assert gone() is None  # made after the freeze: collected as usual
        assert frozen() is not None  # frozen: left alone
    finally:
        gc.unfreeze()


def test_young_objects_are_collected_less_often_and_their_cycles_still_freed() -> None:
    threshold = gc.get_threshold()
    try:
        freeze_startup_objects()
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
        first = _Node()
        gone = weakref.ref(first)
        del first
        # No gc.collect(): the collector runs by itself once enough objects were made.
        kept = [_Node() for _ in range(3 * YOUNG_COLLECTION_THRESHOLD)]
        assert gone() is None
        assert all(node.me is node for node in kept)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
