"""A source's ignore patterns, searched within one time budget for each body.

Editors write the patterns, and a pattern that backtracks without end (nested repeats such as
``(a|aa)+$``) would hold a search for minutes. Python holds the GIL while it matches, and the
event loop parses small pages itself, so one such pattern froze the whole process: every
poll and every page it serves. The patterns run on the ``regex`` package, which reads the
syntax of ``re``, finds many such patterns out without backtracking, and stops any search at a
timeout. All the searches of one body share IGNORE_BUDGET_SECONDS: a body costs at most that
much, however many blocks it has. A body whose patterns spend it is a ContentError naming the
pattern that spent most: the poll fails with that reason, nothing is stored, nobody is alerted.

The budget is measured on a clock, the one thing in the domain that is, since the time a search
takes is what it bounds. It is CPU time, as regex's timeout is (a search on a busy machine took
0.2 s of CPU in 2.3 s), so other processes do not fail a good pattern; and only the searches
are counted, not the parsing around them. regex's clock is the C library's clock(), the whole
process's CPU, so the other thread's work in the same moments counts against a search too:
the budget bounds how long a search may hold, and a good pattern spends microseconds of it.
A source without ignore patterns never comes here (parse_content passes None).
"""

from __future__ import annotations

from collections.abc import Sequence
from time import thread_time
from typing import Final

import regex

from services.watcher.domain.model import ContentError, SourceKind
from shared.source_rules import compile_ignore

# Ordinary patterns take microseconds a block: a few thousand blocks with a few patterns are a
# few milliseconds. A tenth of a second is what a page that overruns it may hold the event loop.
IGNORE_BUDGET_SECONDS: Final = 0.1
# A longer pattern is cut in the reason an operator reads (the reason is stored with the poll).
_SHOWN_CHARS: Final = 200
_BODY_WORDS: Final[dict[str, str]] = {"page": "page", "feed": "feed", "pdf": "document"}


class IgnorePatterns:
    """A source's compiled ignore patterns for one body; their searches share one budget."""

    __slots__ = ("_budget", "_kind", "_left", "_patterns", "_spent")

    def __init__(
        self, patterns: Sequence[str], kind: SourceKind, budget: float = IGNORE_BUDGET_SECONDS
    ) -> None:
        """Compile the patterns (raise regex.error for one that is not a regular expression)."""
        self._patterns: tuple[regex.Pattern[str], ...] = tuple(compile_ignore(p) for p in patterns)
        self._spent = [0.0] * len(self._patterns)
        self._budget = budget
        self._left = budget
        self._kind = kind

    def matches(self, text: str) -> bool:
        """Tell whether a pattern is found in text; raise ContentError once the budget is spent."""
        try:
            for index, pattern in enumerate(self._patterns):
                if self._left <= 0:
                    raise TimeoutError  # regex takes a timeout below zero for none at all
                started = thread_time()
                try:
                    found = pattern.search(text, timeout=self._left)
                finally:
                    elapsed = thread_time() - started
                    self._spent[index] += elapsed
                    self._left -= elapsed
                if found is not None:
                    return True
        except TimeoutError:
            raise self._too_slow() from None
        return False

    def _too_slow(self) -> ContentError:
        # The pattern that spent most of the budget, not whichever ran when it ran out.
        slowest = max(range(len(self._spent)), key=self._spent.__getitem__)
        pattern = self._patterns[slowest].pattern
        shown = pattern if len(pattern) <= _SHOWN_CHARS else pattern[:_SHOWN_CHARS] + "…"
        body = _BODY_WORDS.get(self._kind, self._kind)
        return ContentError(
            f"{self._kind}: the ignore pattern {shown!r} took too long on this {body} "
            f"(all ignore patterns together get {self._budget:g} s a {body}); "
            "simplify the pattern or remove it",
            "slow_ignore",
        )
