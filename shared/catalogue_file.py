"""The catalogue's TOML file: reading one (``varsel catalogue apply``, ``VARSEL_CONFIG`` at start)
and writing the catalogue back out in the same format (``varsel catalogue export``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from shared.catalogue_checks import CatalogueError, parse_catalogue
from shared.catalogue_entries import Catalogue, Source, Topic
from shared.intervals import format_interval


def read_catalogue_text(path: Path, setting: str | None = "VARSEL_CONFIG") -> str:
    """Read a catalogue file's text; raise CatalogueError naming the file if it cannot be read.

    ``setting`` is the variable that named the file, if one did (None: the operator gave it).
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        where = f" (set {setting})" if setting else ""
        raise CatalogueError(f"{path}: configuration file not found{where}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read configuration file: {exc}") from exc


def parse_catalogue_text(text: str, origin: str) -> Catalogue:
    """Parse and validate a catalogue written in TOML; CatalogueError names the origin."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{origin}: not valid TOML: {exc}") from exc
    return parse_catalogue(data, origin)


def load_catalogue(path: Path, setting: str | None = "VARSEL_CONFIG") -> Catalogue:
    """Read and validate the catalogue file (``setting``: as read_catalogue_text)."""
    return parse_catalogue_text(read_catalogue_text(path, setting), str(path))


def entry_data(entry: Topic | Source) -> dict[str, Any]:
    """Return an entry as plain data, leaving out what has its default (as a file would)."""
    data = entry.model_dump(mode="json", exclude_defaults=True)
    # The model keeps the interval in seconds; a file says it with its unit.
    if isinstance(entry, Source) and "interval" in data:
        data["interval"] = format_interval(entry.interval)
    return data


def dump_catalogue(catalogue: Catalogue) -> str:
    """Write a catalogue in the TOML format ``parse_catalogue_text`` reads back unchanged."""
    document = {
        "topics": [entry_data(t) for t in (*catalogue.topics, *catalogue.ended)],
        "sources": [entry_data(s) for s in catalogue.sources],
    }
    if not document["sources"]:
        del document["sources"]
    # tomli-w writes TOML that tomllib reads back; a hand-written writer would need its quoting.
    return tomli_w.dumps(document)
