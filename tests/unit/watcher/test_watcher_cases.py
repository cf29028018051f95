"""Run every declared change-detection case through parse_content and compare."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from services.watcher.domain.content import (
    EXTRACTION,
    Content,
    compare,
    parse_content,
    unified_diff,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "watcher"
CASES: list[dict[str, Any]] = tomllib.loads((FIXTURES / "cases.toml").read_text("utf-8"))["case"]


def _edited_body(case: dict[str, Any], base: bytes) -> bytes:
    """Return the compared version: a separate file, or the base with its edits applied."""
    if "edited" in case:
        edited = (FIXTURES / case["edited"]).read_bytes()
        assert edited != base, "the edited file must differ from the base byte for byte"
        return edited
    text = base.decode("utf-8")
    assert case.get("edits"), "a case needs edits or an edited file"
    for edit in case["edits"]:
        assert edit["old"] in text, f"edit does not apply: {edit['old'][:80]!r}"
        text = text.replace(edit["old"], edit["new"])
    edited_bytes = text.encode("utf-8")
    assert edited_bytes != base
    return edited_bytes


def _parse(case: dict[str, Any], body: bytes) -> Content:
    return parse_content(
        case["kind"],
        body,
        selector=case.get("selector"),
        ignore=tuple(case.get("ignore", ())),
    )


def test_cases_cover_every_kind_both_ways() -> None:
    seen = {(c["kind"], c["changed"]) for c in CASES}
    assert seen == {(k, v) for k in ("page", "feed", "pdf") for v in (True, False)}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_change_detection(case: dict[str, Any]) -> None:
    base = (FIXTURES / case["base"]).read_bytes()
    old = _parse(case, base)
    new = _parse(case, _edited_body(case, base))

    result = compare(old, new)

    assert result.changed is case["changed"], unified_diff(old, new)
    if case["changed"]:
        assert old.fingerprint != new.fingerprint
        assert result.added or result.removed
        assert 0 < len(result.summary) <= 600
        if "summary_contains" in case:
            assert case["summary_contains"] in result.summary, result.summary
        for unchanged in case.get("summary_excludes", ()):
            assert unchanged not in result.summary, result.summary
        notes = "\n".join(result.notes.values())
        if "note_contains" in case:
            assert case["note_contains"] in notes, notes
        for unchanged in case.get("note_excludes", ()):
            assert unchanged not in notes, notes
    else:
        assert result.summary == ""
        assert result.added == ()


@pytest.mark.parametrize("path", sorted({c["base"] for c in CASES}))
def test_a_base_fixture_compared_with_itself_is_unchanged(path: str) -> None:
    kind = next(c["kind"] for c in CASES if c["base"] == path)
    body = (FIXTURES / path).read_bytes()
    first, second = parse_content(kind, body), parse_content(kind, body)

    assert first == second
    assert first.fingerprint == second.fingerprint
    assert compare(first, second).changed is False
    assert unified_diff(first, second) == ""


RELEASED: dict[str, dict[str, str]] = tomllib.loads(
    (FIXTURES / "fingerprints.toml").read_text("utf-8")
)["extraction"]
KINDS = {"pages": "page", "feeds": "feed", "pdf": "pdf"}


@pytest.mark.parametrize(
    ("version", "path"),
    [(int(version), path) for version, table in RELEASED.items() for path in sorted(table)],
)
def test_an_upgrade_extracts_every_fixture_as_released(version: int, path: str) -> None:
    # Each version's rules keep giving what they gave when released: sources stored under
    # them are compared under them once more after an upgrade.
    kind = KINDS[path.split("/", 1)[0]]
    body = (FIXTURES / path).read_bytes()
    content = parse_content(kind, body, extraction=version)  # type: ignore[arg-type]
    assert content.fingerprint == RELEASED[str(version)][path]


def test_the_current_extraction_has_released_fingerprints() -> None:
    assert max(int(version) for version in RELEASED) == EXTRACTION
    assert set(RELEASED[str(EXTRACTION)]) == set(RELEASED["1"])
