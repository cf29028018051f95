"""Turn a unified diff into lines the diff pages mark in words and signs, not colour alone:
one column (a source's snapshots) or two side by side (a change on the editor's desk)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["added", "removed", "context", "hunk"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a diff: what happened to it and its text without the diff sign."""

    kind: Kind
    text: str


def diff_lines(unified: str) -> list[DiffLine]:
    """Split a unified diff into marked lines, leaving out the two file headers."""
    lines: list[DiffLine] = []
    for raw in unified.splitlines():
        if raw.startswith(("--- ", "+++ ")) and not lines:
            continue
        if raw.startswith("@@"):
            lines.append(DiffLine("hunk", raw))
        elif raw.startswith("+"):
            lines.append(DiffLine("added", raw[1:]))
        elif raw.startswith("-"):
            lines.append(DiffLine("removed", raw[1:]))
        else:
            lines.append(DiffLine("context", raw[1:] if raw.startswith(" ") else raw))
    return lines


@dataclass(frozen=True, slots=True)
class SideBySide:
    """One row of a side-by-side diff: the older text on the left, the newer on the right.

    ``hunk`` rows carry the position line in ``left``; a side is None where the other side's
    line has no counterpart (added or removed outright).
    """

    kind: Literal["context", "changed", "hunk"]
    left: str | None
    right: str | None


def side_by_side(lines: list[DiffLine]) -> list[SideBySide]:
    """Pair a diff's removed lines with the added lines that follow them, row by row."""
    rows: list[SideBySide] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        for index in range(max(len(removed), len(added))):
            rows.append(
                SideBySide(
                    "changed",
                    removed[index] if index < len(removed) else None,
                    added[index] if index < len(added) else None,
                )
            )
        removed.clear()
        added.clear()

    for line in lines:
        if line.kind == "removed":
            if added:  # a removal after additions starts a new block
                flush()
            removed.append(line.text)
        elif line.kind == "added":
            added.append(line.text)
        else:
            flush()
            if line.kind == "hunk":
                rows.append(SideBySide("hunk", line.text, None))
            else:
                rows.append(SideBySide("context", line.text, line.text))
    flush()
    return rows
