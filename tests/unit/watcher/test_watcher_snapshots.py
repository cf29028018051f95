"""Snapshots pack and unpack to the same content, including those stored by earlier releases."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import zstandard

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


def _json_of(blob: bytes) -> dict[str, object]:
    assert blob[:1] == b"\x04"  # JSON, compressed with Zstandard
    data: dict[str, object] = json.loads(zstandard.ZstdDecompressor().decompress(blob[1:]))
    return data


def _as_zlib_json(content: Content, level: int) -> bytes:
    """The JSON form as earlier releases stored it: zlib, no first byte of its own."""
    return zlib.compress(json.dumps(_json_of(pack(content)), ensure_ascii=False).encode(), level)


@pytest.mark.parametrize("level", [1, 6])
def test_a_snapshot_stored_with_zlib_by_earlier_releases_still_reads(level: int) -> None:
    # Level 6 before one release, level 1 before this one; the level is not in the blob.
    assert unpack(_as_zlib_json(CONTENT, level)) == CONTENT


def test_a_feed_snapshot_is_compressed_json() -> None:
    data = _json_of(pack(CONTENT))
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
    assert blob[:1] == b"\x03"  # joined, compressed with Zstandard
    joined = zstandard.ZstdDecompressor().decompress(blob[1:]).decode("utf-8")
    assert joined.split("\x1e")[4:] == list(content.blocks)
    assert unpack(blob) == content
    # Joined and compressed with zlib by the release before: still read.
    assert unpack(b"\x02" + zlib.compress(joined.encode("utf-8"), 1)) == content


def test_a_page_whose_text_holds_the_separator_is_stored_as_json() -> None:
    odd = dataclasses.replace(PAGE, title="Før\x1eetter")
    blob = pack(odd)
    assert _json_of(blob)["title"] == "Før\x1eetter"
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


def test_threads_packing_and_reading_at_once_each_get_their_own_content_back() -> None:
    # The writer thread and the event loop's both pack and read; a compression context
    # serves one call at a time, so each thread has its own.
    pages = [
        dataclasses.replace(PAGE, blocks=tuple(f"Avsnitt {n} i side {i}." for n in range(200)))
        for i in range(40)
    ]

    def round_trip(page: Content) -> bool:
        return all(unpack(pack(page)) == page for _ in range(20))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(round_trip, pages))
