"""Keep what a process builds at start-up out of the cyclic garbage collector's way."""

from __future__ import annotations

import gc

# Allocations (less frees) of container objects between two collections of the youngest
# generation; CPython's default is 700. A mailer keeps a claimed batch's rows, mails and
# futures alive, thousands of objects, so at 700 nearly every young collection walked that
# same live batch again to free nothing. At 10,000 a mail costs the mailer 2.3 % fewer
# instructions (bench/mailer/instructions.py, docs/benchmarks.md; 50,000 saved no more).
# Garbage in reference cycles is still freed, a few thousand allocations later.
YOUNG_COLLECTION_THRESHOLD = 10_000


def freeze_startup_objects() -> None:
    """Collect once, then move every object alive now out of later collections, and collect
    the youngest generation less often.

    Imports and start-up leave about 100,000 objects (modules, classes, compiled statements
    and expressions) that live as long as the process. Every full collection walked them
    all, about 65 ms of CPU each, roughly one per watcher poll round over 1,000 sources.
    Objects made after this call are collected as before; those frozen are never freed,
    which is what they would be anyway.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
