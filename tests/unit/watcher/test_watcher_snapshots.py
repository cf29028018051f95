"""Snapshots pack and unpack to the same content, including those stored by earlier releases."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from datetime import date

import pytest

from services.watcher.adapters.snapshots import pack, unpack
from services.watcher.domain.content import Content, FeedEntry

CONTENT = Content(
    title="Råd om blåbær",
    blocks=("Råd om blåbær", "Plukk bær der det er trygt.", "Sist faglig oppdatert"),
    headings=frozenset({0}),
    published=date(2024, 5, 2),
    updated=None,
    entries=(
        FeedEntry(key="guid-1", title="Ny rapport", link="https://example.org/r", text="Tekst",
                  published=date(2025, 1, 3)),
    ),
)  # fmt: skip


def test_content_survives_pack_and_unpack() -> None:
    assert unpack(pack(CONTENT)) == CONTENT


def test_a_snapshot_compressed_at_the_old_level_still_reads() -> None:
    # Releases before this one stored snapshots at zlib level 6; the level is not in the blob.
    old = zlib.compress(zlib.decompress(pack(CONTENT)), 6)
    assert old != pack(CONTENT)
    assert unpack(old) == CONTENT


def test_a_feed_snapshot_is_compressed_json() -> None:
    data = json.loads(zlib.decompress(pack(CONTENT)).decode("utf-8"))
    assert data["blocks"] == list(CONTENT.blocks)
    assert data["published"] == "2024-05-02"


PAGE = dataclasses.replace(CONTENT, entries=())


@pytest.mark.parametrize(
    "content",
    [
        PAGE,
        dataclasses.replace(PAGE, blocks=(), headings=frozenset()),
        dataclasses.replace(PAGE, blocks=("",), headings=frozenset(), published=None),
        dataclasses.replace(PAGE, headings=frozenset({0, 2}), updated=date(2025, 2, 1)),
        dataclasses.replace(PAGE, title=""),
    ],
)
def test_a_page_snapshot_is_its_fields_joined_and_reads_back(content: Content) -> None:
    blob = pack(content)
    assert blob[:1] == b"\x02"
    assert zlib.decompress(blob[1:]).decode("utf-8").split("\x1e")[4:] == list(content.blocks)
    assert unpack(blob) == content


def test_a_page_whose_text_holds_the_separator_is_stored_as_json() -> None:
    odd = dataclasses.replace(PAGE, title="Før\x1eetter")
    blob = pack(odd)
    assert json.loads(zlib.decompress(blob))["title"] == "Før\x1eetter"
    assert unpack(blob) == odd


def test_a_page_snapshot_stored_as_json_by_earlier_releases_still_reads() -> None:
    data = {
        "title": PAGE.title,
        "blocks": list(PAGE.blocks),
        "headings": [0],
        "published": "2024-05-02",
        "updated": None,
        "entries": [],
    }
    old = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 6)
    assert unpack(old) == PAGE


def test_the_fingerprint_is_kept_once_computed_and_is_not_compared() -> None:
    content = dataclasses.replace(CONTENT, entries=())
    fresh = dataclasses.replace(content)
    expected = hashlib.sha256("\x1e".join(content.blocks).encode("utf-8")).hexdigest()
    assert content.fingerprint == expected
    assert content._fingerprint == expected  # kept: a second reading hashes nothing
    assert fresh._fingerprint is None
    assert fresh == content  # equal whether or not it has been computed
    assert hash(fresh) == hash(content)
    edited = dataclasses.replace(content, blocks=(*content.blocks, "Ny linje."))
    assert edited._fingerprint is None  # a copy with other blocks computes its own
    assert edited.fingerprint != expected
    assert unpack(pack(content)).fingerprint == expected
