"""Change detection over real HTTP: baselines, real changes, encodings, failures, recovery."""

from __future__ import annotations

import logging
import random
import re
import zlib
from datetime import date
from typing import Any

import pytest

import services.watcher.body_reading as body_reading
from services.watcher.adapters.snapshots import unpack
from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.model import EXTRACTION
from services.watcher.handlers import poll
from services.watcher.retention import diff_between
from tests.integration.watcher.conftest import ADMIN_URL, Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, feed, fixture, page
from tests.integration.watcher.server import Route, ScriptedSite

UTF8 = "text/html; charset=utf-8"


async def test_first_fetch_is_a_baseline_and_tells_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "baseline"

    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1


async def test_an_identical_body_is_unchanged_without_parsing(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.set("/p", Route(page().encode()))  # no validators: a full 200 every time
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    parsed: list[bytes] = []
    real = body_reading.parse_content

    def counting(*args: Any, **kwargs: Any) -> Any:
        parsed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(body_reading, "parse_content", counting)

    assert await poll(harness.deps, source) == "unchanged"

    assert parsed == []
    assert site.log("/p")[1].status == 200
    assert await harness.events() == []


async def test_a_change_links_to_the_admin_diff_of_its_two_snapshots(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    await poll(harness.deps, source)
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))

    assert await poll(harness.deps, source) == "changed"

    (event,) = await harness.events()
    old, new = await harness.snapshots(source)
    assert event.diff_url == (f"{ADMIN_URL}/sources/{source}/diff?from={old.id}&to={new.id}")
    async with harness.deps.sessions() as session:
        diff = await diff_between(session, source, old.id, new.id)
    assert "revebjelle" in diff


async def test_a_real_change_is_one_event_with_title_url_dates_and_summary(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    await poll(harness.deps, source)

    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"

    (event,) = await harness.events()
    assert event.title == "Råd om blåbær, tyttebær og multer"
    assert event.url == site.url("/p")
    assert event.source_id == source
    assert event.topics == ("tema",)
    assert (event.published, event.updated) == (date(2021, 2, 3), date(2021, 3, 15))
    assert "revebjelle" in event.summary
    assert len(await harness.snapshots(source)) == 2


@pytest.mark.parametrize(
    ("content_type", "meta", "encoding"),
    [
        ("text/html; charset=iso-8859-1", "", "utf-8"),  # labelled Latin-1, really UTF-8
        ("text/html; charset=utf-8", "", "iso-8859-1"),  # labelled UTF-8, really Latin-1
        ("text/html", '<meta charset="iso-8859-1">', "iso-8859-1"),  # only a <meta>
        (
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
            "utf-8",
        ),
    ],
)
async def test_norwegian_letters_survive_wrong_and_missing_charsets(
    site: ScriptedSite, harness: Harness, content_type: str, meta: str, encoding: str
) -> None:
    site.set("/p", Route(page(meta=meta).encode(encoding), content_type=content_type))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "baseline"

    (snapshot,) = await harness.snapshots(source)
    text = " ".join(unpack(snapshot.content).blocks)
    assert "Blåbærsyltetøy" in text
    assert "Østerdalen" in text
    assert snapshot.title == "Råd om blåbær, tyttebær og multer"


async def test_an_encoding_flip_of_the_same_text_is_not_a_change(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode("utf-8"), content_type="text/html; charset=utf-8"))
    source = await harness.add_source(site.url("/p"))
    await poll(harness.deps, source)

    site.set(
        "/p",
        Route(page(meta="").encode("iso-8859-1"), content_type="text/html; charset=iso-8859-1"),
    )
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


@pytest.mark.parametrize(
    ("kind", "route", "reason"),
    [
        ("feed", Route(fixture("feeds/malformed.xml"), "application/rss+xml"), "malformed"),
        ("feed", Route(fixture("feeds/billion_laughs.rss"), "application/rss+xml"), "XML bomb"),
        ("page", Route(b"<h1>Internal Server Error</h1>", status=500), "HTTP 500"),
        ("page", Route(b""), "empty body"),
        ("page", Route(b"<html><title>404 - Siden finnes ikke</title></html>"), "no extractable"),
        ("page", Route(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(9_000), "image/jpeg"), "JPEG"),
        ("feed", Route(b"%PDF-1.7\n" + bytes(9_000), "application/pdf"), "a PDF file"),
        # Bytes no signature names, under a page's type: a body compressed without its
        # Content-Encoding, a damaged file.
        ("page", Route(zlib.compress(page().encode() * 40), UTF8), "binary data, not text"),
        ("page", Route(random.Random(1).randbytes(30_000), "text/html"), "binary data"),
    ],
    ids=[
        "malformed-feed",
        "xml-bomb",
        "http-500",
        "empty-200",
        "error-page",
        "image",
        "pdf",
        "deflate-as-html",
        "noise-as-html",
    ],
)
async def test_a_broken_answer_fails_and_the_next_change_is_against_the_last_good_snapshot(
    site: ScriptedSite, harness: Harness, kind: str, route: Route, reason: str
) -> None:
    good = feed([3, 2, 1]) if kind == "feed" else page().encode()
    changed = feed([4, 3, 2, 1]) if kind == "feed" else page(NEW_PARAGRAPH).encode()
    content_type = "application/rss+xml" if kind == "feed" else "text/html; charset=utf-8"
    site.set("/s", Route(good, content_type))
    source = await harness.add_source(site.url("/s"), kind)
    assert await poll(harness.deps, source) == "baseline"

    site.set("/s", route)
    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error is not None
    assert reason in row.last_error
    assert row.consecutive_failures == 1
    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1

    site.set("/s", Route(changed, content_type))
    assert await poll(harness.deps, source) == "changed"
    events = await harness.events()
    assert len(events) == 1
    assert (
        ("Sak nummer 4" in events[0].title)
        if kind == "feed"
        else ("revebjelle" in events[0].summary)
    )
    assert (await harness.source(source)).consecutive_failures == 0


async def test_an_address_that_answers_a_new_image_each_poll_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    # A careless source: a page address that serves an image (or a file) that changes.
    source = None
    for seed in range(3):
        pixels = random.Random(seed).randbytes(30_000)
        site.set("/bilde", Route(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + pixels, "image/png"))
        source = source or await harness.add_source(site.url("/bilde"))
        assert await poll(harness.deps, source) == "failed"

    assert await harness.events() == []
    assert await harness.snapshots(source) == []
    row = await harness.source(source)
    assert row.last_error is not None and "answers a PNG image" in row.last_error
    assert row.consecutive_failures == 3


async def test_a_page_that_turns_to_binary_data_keeps_its_text_and_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    # A page in windows-1252, as some publishers' systems still serve them, then a server
    # that serves new noise under the page's type on every poll, then the page again.
    nynorsk = page(meta="").replace("Ville bær", "Born og unge bør eta grønsaker kvar dag. Bær")
    latin = "text/html; charset=windows-1252"
    site.set("/p", Route(nynorsk.encode("cp1252"), latin))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    kept = (await harness.source(source)).fingerprint

    for seed in range(3):
        site.set("/p", Route(random.Random(seed).randbytes(20_000), "text/html"))
        assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.status == "failing"  # on the admin's sources page, with its reason
    assert row.last_error is not None and "answers binary data, not text" in row.last_error
    assert row.fingerprint == kept
    [snapshot] = await harness.snapshots(source)
    assert "grønsaker kvar dag" in " ".join(unpack(snapshot.content).blocks)
    assert await harness.events() == []

    site.set("/p", Route(nynorsk.encode("cp1252"), latin))
    assert await poll(harness.deps, source) == "unchanged"  # back as it was: no news
    site.set("/p", Route(page(NEW_PARAGRAPH, meta="").encode("cp1252"), latin))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1


async def test_failing_is_logged_once_at_the_threshold_and_recovery_once(
    site: ScriptedSite, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    await poll(harness.deps, source)
    site.set("/p", Route(b"Service Unavailable", status=503))
    caplog.set_level(logging.INFO, logger="services.watcher")

    outcomes = [await poll(harness.deps, source) for _ in range(5)]

    assert outcomes == ["failed"] * 5
    row = await harness.source(source)
    assert (row.status, row.consecutive_failures) == ("failing", 5)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "is failing after 3 attempts" in errors[0].getMessage()

    caplog.clear()
    site.set("/p", Route(page().encode()))
    assert await poll(harness.deps, source) == "unchanged"
    assert await poll(harness.deps, source) == "unchanged"

    row = await harness.source(source)
    assert (row.status, row.consecutive_failures, row.last_error) == ("ok", 0, None)
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_feed_entry_that_falls_off_and_comes_back_is_not_news(
    site: ScriptedSite, harness: Harness
) -> None:
    def publish(numbers: list[int]) -> None:
        site.set("/rss", Route(feed(numbers), "application/rss+xml"))

    publish([5, 4, 3, 2, 1])
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    publish([6, 5, 4, 3, 2])  # 6 is new, 1 fell off the end
    assert await poll(harness.deps, source) == "changed"
    publish([6, 5, 4, 3, 2, 1])  # 1 comes back (the feed grew again)
    assert await poll(harness.deps, source) == "unchanged"
    publish([7, 6, 5, 4, 3])
    assert await poll(harness.deps, source) == "changed"

    titles = [e.title for e in await harness.events()]
    assert titles == ["Sak nummer 6 om folkehelse", "Sak nummer 7 om folkehelse"]
    urls = [e.url for e in await harness.events()]
    assert urls == ["https://example.no/sak/6", "https://example.no/sak/7"]


async def test_a_source_that_keeps_failing_is_logged_ever_more_rarely(
    site: ScriptedSite, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"), interval_seconds=2)
    await poll(harness.deps, source)
    site.set("/p", Route(b"Service Unavailable", status=503))
    caplog.set_level(logging.INFO, logger="services.watcher")

    for _ in range(40):
        assert await poll(harness.deps, source) == "failed"

    warned = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("services.watcher")
    ]
    # The first failure, the second, failing (the threshold, 3), then the 4th, 8th, 16th, 32nd.
    # Read from the message: varsel's log filter may have formatted it already (its args empty).
    in_a_row = [re.search(r"(\d+)(?: attempts)? in a row", r.getMessage()) for r in warned]
    assert [int(m.group(1)) if m else None for m in in_a_row] == [1, 2, 3, 4, 8, 16, 32]
    assert all(site.url("/p") in r.getMessage() for r in warned)

    caplog.clear()
    site.set("/p", Route(page().encode()))
    assert await poll(harness.deps, source) == "unchanged"
    (recovered,) = caplog.records
    assert "recovered after 40 failed polls" in recovered.getMessage()


HELSEDIR = fixture("pages/helsedir_rapport_kapittel_5_2.html").decode()
LAST_PARAGRAPH = "<h3>Persontilpasset medisin</h3>"


async def _stored_before_the_upgrade(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Return a source whose baseline was read and stored as the release before versions."""
    site.set("/kapittel", Route(HELSEDIR.encode(), content_type=UTF8))
    source = await harness.add_source(site.url("/kapittel"))
    real = body_reading.parse_content
    monkeypatch.setattr(
        body_reading, "parse_content", lambda *a, **k: real(*a, **{**k, "extraction": 1})
    )
    assert await poll(harness.deps, source) == "baseline"
    monkeypatch.setattr(body_reading, "parse_content", real)
    async with harness.deps.sessions() as session, session.begin():
        row = await session.get(WatchedSource, source)
        assert row is not None
        row.extraction = None  # as the migration leaves rows stored before it
    return source


async def test_an_upgrade_of_the_extraction_alerts_nobody_and_stores_the_new_reading(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await _stored_before_the_upgrade(site, harness, monkeypatch)
    # New bytes, the same text: read under today's rules the chapter gains its headings.
    site.set("/kapittel", Route((HELSEDIR + "\n<!-- ny mal -->").encode(), content_type=UTF8))

    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    old, new = await harness.snapshots(source)
    assert row.extraction == EXTRACTION and row.fingerprint == new.fingerprint != old.fingerprint
    assert "Tilgang til legemidler" in unpack(new.content).blocks
    # From now on today's readings are compared: a new paragraph is news, told once.
    edited = HELSEDIR.replace(LAST_PARAGRAPH, f"<h3>Ny seksjon</h3><p>{'Ny tekst. ' * 9}</p>")
    site.set("/kapittel", Route(edited.encode(), content_type=UTF8))
    assert await poll(harness.deps, source) == "changed"
    (event,) = await harness.events()
    assert "Ny tekst" in event.summary


async def test_a_real_change_at_the_upgrade_is_told_as_before(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await _stored_before_the_upgrade(site, harness, monkeypatch)
    edited = HELSEDIR.replace(LAST_PARAGRAPH, f"<h3>Ny seksjon</h3><p>{'Ny tekst. ' * 9}</p>")
    site.set("/kapittel", Route(edited.encode(), content_type=UTF8))

    assert await poll(harness.deps, source) == "changed"

    (event,) = await harness.events()
    assert "Ny tekst" in event.summary
    assert "Tilgang til legemidler" not in event.summary  # headings new to the reading: no news
    assert (await harness.source(source)).extraction == EXTRACTION
