"""Fingerprint what the watcher extracts from every body it is measured on, to compare two versions.

Usage: ``.venv/bin/python bench/watcher/extraction.py [--out digests.json] [--extraction N]``

The bodies: every benchmark page of rounds 0, 1 and 3 (``site.py``), every fixture page, feed
and PDF under ``tests/fixtures/watcher``, every demo page, and every case's edited version
(``cases.toml``, with its selector and ignore patterns), each distinct body once. Each goes
through ``parse_content``; the whole result (title, blocks, headings, dates, feed entries, or
the ContentError's reason) is hashed. It prints how many bodies were read and one digest over
all of them; ``--out`` also writes each body's digest, so two runs can be compared body by
body. Run it on two versions of the code: equal digests mean the extraction is unchanged.
``--extraction N`` reads every body under version N of the page rules (EXTRACTION in
services/watcher/domain/model.py; the current one by default): a release that adds a version
must still give each older version's digest, since sources stored under it are judged by it
once more (docs/decisions/0017).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from services.watcher.domain.content import (  # noqa: E402
    EXTRACTION,
    ContentError,
    parse_content,
)

FIXTURES = ROOT / "tests" / "fixtures" / "watcher"
DEMO = ROOT / "varsel" / "demo_site"
KINDS = {"pages": "page", "feeds": "feed", "pdf": "pdf"}

# bench/watcher/site.py builds the benchmark's pages; loaded by path, since "site" is the name
# of a module Python imports at start-up.
_spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
assert _spec is not None and _spec.loader is not None
_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_site)
page = _site.page

Body = tuple[str, str, bytes, str | None, tuple[str, ...]]  # name, kind, body, selector, ignore


def _bodies() -> list[Body]:
    bodies: list[Body] = []
    for round_no in (0, 1, 3):
        # Pages that do not change keep their round-0 body; each distinct body is read once.
        changing = range(1000) if round_no == 0 else range(0, 1000, 10)
        bodies += [(f"site/{i}@{round_no}", "page", page(i, round_no), None, ()) for i in changing]
    for folder, kind in KINDS.items():
        for path in sorted((FIXTURES / folder).iterdir()):
            if path.suffix != ".py":
                bodies.append((f"{folder}/{path.name}", kind, path.read_bytes(), None, ()))
    for path in sorted(DEMO.iterdir()):
        kind = "feed" if path.suffix == ".xml" else "page"
        bodies.append((f"demo/{path.name}", kind, path.read_bytes(), None, ()))
    cases: list[dict[str, Any]] = tomllib.loads((FIXTURES / "cases.toml").read_text("utf-8"))[
        "case"
    ]
    for case in cases:
        rules = (case.get("selector"), tuple(case.get("ignore", ())))
        base = (FIXTURES / case["base"]).read_bytes()
        if "edited" in case:
            edited = (FIXTURES / case["edited"]).read_bytes()
        else:
            text = base.decode("utf-8")
            for edit in case["edits"]:
                text = text.replace(edit["old"], edit["new"])
            edited = text.encode("utf-8")
        for name, body in (("base", base), ("edited", edited)):
            bodies.append((f"case/{case['name']}/{name}", case["kind"], body, *rules))
    seen: set[tuple[str, bytes, str | None, tuple[str, ...]]] = set()
    distinct = []
    for name, kind, body, selector, ignore in bodies:
        if (kind, body, selector, ignore) not in seen:
            seen.add((kind, body, selector, ignore))
            distinct.append((name, kind, body, selector, ignore))
    return distinct


def _digest(
    kind: str, body: bytes, selector: str | None, ignore: tuple[str, ...], extraction: int
) -> str:
    try:
        content = parse_content(
            kind,  # type: ignore[arg-type]
            body,
            selector=selector,
            ignore=ignore,
            extraction=extraction,
        )
    except ContentError as exc:
        return hashlib.sha256(f"error: {exc}".encode()).hexdigest()
    return hashlib.sha256(repr(content).encode()).hexdigest()


def main() -> None:
    """Print the number of bodies and the digest over all their extractions."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, help="also write each body's digest here (JSON)")
    parser.add_argument("--extraction", type=int, default=EXTRACTION, help="page rules version")
    args = parser.parse_args()
    digests = {
        name: _digest(kind, body, sel, ign, args.extraction)
        for name, kind, body, sel, ign in _bodies()
    }
    whole = hashlib.sha256("\n".join(f"{n} {d}" for n, d in digests.items()).encode())
    if args.out:
        args.out.write_text(json.dumps(digests, indent=1, ensure_ascii=False), "utf-8")
    print(
        json.dumps(
            {"bodies": len(digests), "extraction": args.extraction, "digest": whole.hexdigest()}
        )
    )


if __name__ == "__main__":
    main()
