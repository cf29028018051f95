"""Progress bars for long commands: drawn on a terminal's stderr, never in their output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Tracker(Protocol):
    """Told how much work there is and how much is done."""

    def total(self, count: int) -> None:
        """Set how many steps the work has."""

    def advance(self, count: int = 1) -> None:
        """Count steps done."""


class Silent:
    """A tracker that shows nothing: for pipes, logs and ``--quiet``."""

    def total(self, count: int) -> None:
        """Ignore the total."""

    def advance(self, count: int = 1) -> None:
        """Ignore the steps."""


class _Bar:
    def __init__(self, bar: Progress, description: str) -> None:
        self._bar = bar
        self._task = bar.add_task(description, total=None)

    def total(self, count: int) -> None:
        self._bar.update(self._task, total=count)

    def advance(self, count: int = 1) -> None:
        self._bar.advance(self._task, count)


def _is_terminal(stream: TextIO) -> bool:
    return stream.isatty()


@contextmanager
def progress(description: str, *, quiet: bool, stream: TextIO | None = None) -> Iterator[Tracker]:
    """Yield a tracker drawing a bar on stderr if it is a terminal and not ``quiet``."""
    out = stream if stream is not None else sys.stderr
    if quiet or not _is_terminal(out):
        yield Silent()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    # force_terminal: the stream was checked above; rich must not decide differently.
    with Progress(*columns, console=Console(file=out, force_terminal=True)) as bar:
        yield _Bar(bar, description)
