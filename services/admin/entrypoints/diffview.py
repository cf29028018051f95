"""Turn a unified diff into lines the diff page marks in words and signs, not colour alone."""

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
