"""A round of claimed polls: leases, batched quiet writes, and a failing source's recovery."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from services.watcher import body_reading, handlers
from services.watcher.adapters.tables import WatchedSource
from services.watcher.handlers import claim_due, poll
from shared.events import SourceRecovered, decode_event
from shared.outbox import OutboxRow
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import feed, page
from tests.integration.watcher.server import Route, ScriptedSite


async def _make_all_due(harness: Harness) -> None:
    async with harness.deps.sessions() as session, session.begin():
        await session.execute(update(WatchedSource).values(next_check_at=harness.clock.now()))


async def test_a_round_of_quiet_polls_stores_every_outcome(
    site: ScriptedSite, harness: Harness
) -> None:
    ids = []
    for n in range(12):
        body = page(f"<p>Side {n} av tolv i en lang serie.</p>").encode()
        # ETag, Last-Modified, or neither (the same bytes again).
        validators = [{"etag": f'"v{n}"'}, {"last_modified": "Mon, 03 Mar 2025 07:00:00 GMT"}, {}]
        site.set(f"/p{n}", Route(body, **validators[n % 3]))  # type: ignore[arg-type]
        ids.append(await harness.add_source(site.url(f"/p{n}")))
    assert await asyncio.gather(*(poll(harness.deps, i) for i in ids)) == ["baseline"] * 12
    # A minute: across an hour, one of them reaches its daily poll without validators
    # (domain/revalidation.py), and the same bytes in full are «unchanged», not a 304.
    harness.clock.advance(timedelta(minutes=1))
    await _make_all_due(harness)

    claims = await claim_due(harness.deps, limit=100)
    assert sorted(c.id for c in claims) == sorted(ids)
    assert await claim_due(harness.deps, limit=100) == []  # leased: nobody else takes them
    outcomes = await asyncio.gather(*(poll(harness.deps, c) for c in claims))

    assert sorted(outcomes) == sorted(["not-modified"] * 8 + ["unchanged"] * 4)
    async with harness.deps.sessions() as session:
        rows = (await session.scalars(select(WatchedSource))).all()
    now = harness.clock.now()
    for row in rows:
        assert (row.lease_owner, row.lease_until, row.status) == (None, None, "ok")
        assert row.last_checked_at == now
        assert row.next_check_at is not None and row.next_check_at > now
    assert await harness.events() == []


async def test_a_failing_source_answering_304_recovers_with_one_event(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode(), etag='"v1"'))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    site.set("/p", Route(b"Bad Gateway", status=502))
    assert [await poll(harness.deps, source) for _ in range(3)] == ["failed"] * 3
    assert (await harness.source(source)).status == "failing"
    site.set("/p", Route(page().encode(), etag='"v1"'))

    assert await poll(harness.deps, source) == "not-modified"
    assert await poll(harness.deps, source) == "not-modified"

    row = await harness.source(source)
    assert (row.status, row.consecutive_failures, row.last_error) == ("ok", 0, None)
    async with harness.deps.sessions() as session:
        outbox = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    recovered = [
        e
        for e in (decode_event(r.event_type, r.payload) for r in outbox)
        if isinstance(e, SourceRecovered)
    ]
    assert len(recovered) == 1
    assert recovered[0].failures == 3
    assert "HTTP 502" in recovered[0].last_error


async def test_a_source_that_failed_after_its_claim_still_recovers_with_one_event(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page("<p>Første utgave av saken.</p>").encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    await _make_all_due(harness)
    (claim,) = await claim_due(harness.deps)
    # Another poll (an operator's "check now") saw it fail meanwhile.
    async with harness.deps.sessions() as session, session.begin():
        await session.execute(
            update(WatchedSource).values(
                status="failing", consecutive_failures=3, last_error="HTTP 502 from x"
            )
        )
    site.set("/p", Route(page("<p>Andre utgave av saken, med nytt innhold.</p>").encode()))

    assert await poll(harness.deps, claim) == "changed"

    row = await harness.source(source)
    assert (row.status, row.consecutive_failures, row.lease_owner) == ("ok", 0, None)
    assert len(await harness.events()) == 1
    assert len(await harness.snapshots(source)) == 2
    async with harness.deps.sessions() as session:
        outbox = (await session.scalars(select(OutboxRow))).all()
    recovered = [r for r in outbox if r.event_type == SourceRecovered.type_name()]
    assert len(recovered) == 1


async def test_small_pages_parse_and_store_on_the_loop_the_rest_on_one_worker_thread(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[tuple[str, str, str]] = []
    real_parse, real_store = body_reading.parse_content, handlers.store_outcome

    def parse(kind: str, body: bytes, **kwargs: Any) -> Any:
        threads.append(("parse", kind, threading.current_thread().name))
        return real_parse(kind, body, **kwargs)

    def store(*args: Any, **kwargs: Any) -> Any:
        threads.append(("store", str(kwargs["source_id"]), threading.current_thread().name))
        return real_store(*args, **kwargs)

    monkeypatch.setattr(body_reading, "parse_content", parse)
    monkeypatch.setattr(handlers, "store_outcome", store)
    ids = []
    for n in range(6):
        site.set(f"/p{n}", Route(page(f"<p>Side {n} av seks i en lang serie.</p>").encode()))
        ids.append(await harness.add_source(site.url(f"/p{n}")))
    # One byte past the limit: parsed on the worker, as a feed is.
    filler = "<p>Fyll.</p>" * (body_reading.PARSE_ON_LOOP_BYTES // 13)
    big = page(f"<p>En stor side.</p>{filler}").encode()
    big += b" " * (body_reading.PARSE_ON_LOOP_BYTES + 1 - len(big))
    assert len(big) == body_reading.PARSE_ON_LOOP_BYTES + 1
    site.set("/big", Route(big))
    ids.append(await harness.add_source(site.url("/big")))
    site.set("/feed", Route(feed([1, 2, 3]), content_type="application/rss+xml"))
    ids.append(await harness.add_source(site.url("/feed"), kind="feed"))

    # The small pages first: a write that joins a batch with a heavier one is stored with it.
    assert await asyncio.gather(*(poll(harness.deps, i) for i in ids[:6])) == ["baseline"] * 6
    assert await asyncio.gather(*(poll(harness.deps, i) for i in ids[6:])) == ["baseline"] * 2

    loop = threading.current_thread().name
    parsed = sorted((kind, name == loop) for step, kind, name in threads if step == "parse")
    assert parsed == [("feed", False), *[("page", False)], *[("page", True)] * 6]
    # SQLite: a small page's outcome is stored on the loop too; the others on the thread that
    # parses (see WatcherDeps).
    stored = sorted(
        (int(source), name == loop) for step, source, name in threads if step == "store"
    )
    assert stored == [(i, True) for i in ids[:6]] + [(i, False) for i in ids[6:]]
    workers = {name for _, _, name in threads if name != loop}
    assert len(workers) == 1 and workers.pop().startswith("watcher-worker")
    await harness.deps.aclose()
    with pytest.raises(RuntimeError):  # the worker thread is shut down with the rest
        harness.deps.worker.submit(print)


@pytest.mark.postgres
async def test_replicas_claim_disjoint_sources_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    one, other = make_harness(postgres_url), make_harness(postgres_url)
    ids = []
    for n in range(20):
        site.set(f"/p{n}", Route(page(f"<p>Side {n} av tjue i en serie.</p>").encode(), etag='"v"'))
        ids.append(await one.add_source(site.url(f"/p{n}")))
    assert set(await asyncio.gather(*(poll(one.deps, i) for i in ids))) == {"baseline"}
    await _make_all_due(one)

    mine, theirs = await asyncio.gather(claim_due(one.deps, 15), claim_due(other.deps, 15))

    assert not {c.id for c in mine} & {c.id for c in theirs}
    assert len(mine) + len(theirs) == 20
    outcomes = await asyncio.gather(
        *(poll(one.deps, c) for c in mine), *(poll(other.deps, c) for c in theirs)
    )
    assert set(outcomes) == {"not-modified"}
    async with one.deps.sessions() as session:
        leased = await session.scalar(
            select(WatchedSource.id).where(WatchedSource.lease_owner.is_not(None)).limit(1)
        )
    assert leased is None


async def _claimed_twice(harness: Harness, source: int) -> tuple[handlers.Claim, handlers.Claim]:
    """Claim a source, let the lease run out, and claim it again (as another watcher would)."""
    await _make_all_due(harness)
    (late,) = await claim_due(harness.deps)
    harness.clock.advance(handlers.LEASE + timedelta(seconds=1))
    await _make_all_due(harness)
    (newer,) = await claim_due(harness.deps)
    assert newer.lease != late.lease
    return late, newer


async def test_a_poll_that_outlasted_its_lease_does_not_set_back_a_newer_poll(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page("<p>Første utgave av saken.</p>").encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    late, newer = await _claimed_twice(harness, source)
    site.set("/p", Route(page("<p>Andre utgave av saken, med nytt innhold.</p>").encode()))
    assert await poll(harness.deps, newer) == "changed"
    stored = await harness.source(source)

    # The late poll fetched before the newer one: a text in between, then a failure.
    site.set("/p", Route(page("<p>En utgave i mellom, som varte i et minutt.</p>").encode()))
    assert await poll(harness.deps, late) is None
    site.set("/p", Route(b"Bad Gateway", status=502))
    assert await poll(harness.deps, late) is None

    # Before, the older text was stored as the latest snapshot over the newer one and alerted
    # its followers a second time, and the failure counted against a source that answers.
    row = await harness.source(source)
    assert (row.fingerprint, row.consecutive_failures, row.last_error) == (
        stored.fingerprint,
        0,
        None,
    )
    assert len(await harness.snapshots(source)) == 2
    assert len(await harness.events()) == 1


async def test_a_quiet_poll_past_its_lease_leaves_the_newer_claim_alone(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode(), etag='"v1"'))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    late, newer = await _claimed_twice(harness, source)

    assert await poll(harness.deps, late) is None

    # Before, the late poll's write freed the newer claim's lease for a third watcher.
    row = await harness.source(source)
    assert row.lease_owner == newer.lease
    assert await claim_due(harness.deps) == []
    assert await poll(harness.deps, newer) == "not-modified"
    assert (await harness.source(source)).lease_owner is None


async def test_a_quiet_poll_past_its_lease_reports_nothing(
    site: ScriptedSite, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    site.set("/p", Route(page().encode(), etag='"v1"'))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    async with harness.deps.sessions() as session, session.begin():  # failed twice since
        await session.execute(
            update(WatchedSource).values(consecutive_failures=2, last_error="HTTP 502")
        )
    late, newer = await _claimed_twice(harness, source)

    with caplog.at_level("INFO", logger="services.watcher"):
        assert await poll(harness.deps, late) is None

    # Before, it reported «not-modified» and logged that the source answered again, though
    # nothing of it was stored: the newer claim decides, and the failures still count.
    assert "answered again" not in caplog.text
    assert "outlasted its lease" in caplog.text
    row = await harness.source(source)
    assert (row.lease_owner, row.consecutive_failures) == (newer.lease, 2)
    with caplog.at_level("INFO", logger="services.watcher"):
        assert await poll(harness.deps, newer) == "not-modified"
    assert "answered again after 2 failures" in caplog.text
    assert (await harness.source(source)).consecutive_failures == 0


async def test_a_claimed_fetch_ends_within_the_lease_however_many_redirects(
    site: ScriptedSite, make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each hop is well within the fetch timeout, all of them together not within the lease.
    harness = make_harness(timeout=5.0, max_redirects=5)
    for hop in range(5):
        site.set(f"/hop{hop}", Route(status=302, location=f"/hop{hop + 1}", delay=0.3))
    site.set("/hop5", Route(page().encode()))
    source = await harness.add_source(site.url("/hop0"))
    monkeypatch.setattr(handlers, "FETCH_WITHIN", timedelta(seconds=1))
    await _make_all_due(harness)
    (claim,) = await claim_due(harness.deps)

    # Before, the fetch went on hop after hop, as long as each hop took under twice the
    # timeout: 240 s at the defaults, where the lease is 120 s.
    assert await poll(harness.deps, claim) == "failed"

    row = await harness.source(source)
    assert row.last_error is not None
    assert row.last_error.startswith(f"timed out fetching {site.url('/hop0')}")
    assert "must end within 1s" in row.last_error


async def test_a_claim_that_waited_past_its_time_is_not_polled(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    monkeypatch.setattr(handlers, "FETCH_WITHIN", timedelta(0))
    (claim,) = await claim_due(harness.deps)

    assert await poll(harness.deps, claim) is None

    # Nothing fetched, nothing counted: polled again once the lease ends.
    assert site.log("/p") == []
    row = await harness.source(source)
    assert (row.status, row.consecutive_failures) == ("new", 0)
