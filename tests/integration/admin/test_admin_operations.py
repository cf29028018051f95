"""The operations view: snapshot diffs of a source, mail per day, the next digest runs."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aio_pika
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.diffview import DiffLine, diff_lines
from services.mailer.domain.periods import next_run_after
from services.watcher.domain.news import diff_url
from shared.clock import FrozenClock
from tests.integration.admin import seed
from tests.integration.admin.harness import TOPIC, running, sign_in
from tests.support.broker import BROKER_URL, delete_topology
from tests.support.services import reachable, require

# A Tuesday morning in Oslo, after the daily run at 07:00 local time.
NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)


def test_diff_lines_mark_added_and_removed_lines() -> None:
    unified = "--- før\n+++ etter\n@@ -1,2 +1,2 @@\n-gammel\n+ny\n uendret"
    assert diff_lines(unified) == [
        DiffLine("hunk", "@@ -1,2 +1,2 @@"),
        DiffLine("removed", "gammel"),
        DiffLine("added", "ny"),
        DiffLine("context", "uendret"),
    ]
    assert diff_lines("") == []


HTML = {"Accept": "text/html"}


async def test_diff_of_two_snapshots_and_clear_404s(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, FrozenClock(NOW)) as h:
        await h.user("ops", "operator")
        async with h.runtime.sessions() as session, session.begin():
            source_id, (first, second, third) = await seed.source_with_snapshots(
                session, "https://example.org/vaksiner", NOW, [TOPIC]
            )
            other_id, (foreign, *_) = await seed.source_with_snapshots(
                session, "https://example.org/annet", NOW, [TOPIC]
            )
        async with h.client() as client:
            await sign_in(client, "ops")
            picker = await client.get(f"/admin/sources/{source_id}/diff")
            assert picker.status_code == 200
            # Both pickers list every snapshot; the newest two are chosen to start with.
            for snapshot_id in (first, second, third):
                assert picker.text.count(f'value="{snapshot_id}"') == 2
            assert re.search(rf'<option value="{second}" selected>', picker.text)
            assert re.search(rf'<option value="{third}" selected>', picker.text)

            # Exactly the link the watcher puts in its content.changed events.
            shown = await client.get(diff_url("/admin", source_id, first, third))
            assert shown.status_code == 200
            assert "<del>" in shown.text and "<ins>" in shown.text
            # Marked in words for screen readers, not by colour alone.
            assert "Fjernet: </span>Vaksinen gis om høsten.</del>" in shown.text
            assert "Lagt til: </span>Ny: gratis for barn.</ins>" in shown.text
            assert "Lagt til: </span>Vaksinen gis om høsten og våren.</ins>" in shown.text
            assert "Bestill time hos fastlegen." in shown.text

            same = await client.get(f"/admin/sources/{source_id}/diff?from={first}&to={first}")
            assert same.status_code == 200 and "Ingen forskjeller." in same.text

            for wrong in ("abc", "1.5", "-1", "0", "9" * 30, "²"):
                # A page in the staff side's words, as /admin/sources/0/diff is, never JSON.
                refused = await client.get(f"/admin/sources/{wrong}/diff", headers=HTML)
                assert refused.status_code == 400, wrong
                assert refused.headers["content-type"].startswith("text/html"), wrong
            missing_source = await client.get("/admin/sources/9999/diff?from=1&to=2")
            assert missing_source.status_code == 404
            assert "Fant ikke kilden." in missing_source.text
            wrong_source = await client.get(
                f"/admin/sources/{source_id}/diff?from={foreign}&to={third}"
            )
            assert wrong_source.status_code == 404
            assert "Fant ikke et av øyeblikksbildene" in wrong_source.text
            unknown = await client.get(f"/admin/sources/{other_id}/diff?from=424242&to={foreign}")
            assert unknown.status_code == 404
            superscript = await client.get(f"/admin/sources/{source_id}/diff?from=²&to={third}")
            assert superscript.status_code == 400
            garbage = await client.get(f"/admin/sources/{source_id}/diff?from=abc&to={third}")
            assert garbage.status_code == 400 and "Velg to" in garbage.text
            typed = "?from=kari.nordmann@example.org&to=" + "9" * 30_000 + "%0D%0Aforged"
            hostile = await client.get(f"/admin/sources/{source_id}/diff{typed}")
            assert hostile.status_code == 400

            operations = await client.get("/admin/operations")
            assert f'href="/admin/sources/{source_id}/diff"' in operations.text

        async with h.runtime.sessions() as session:
            reads = (
                await session.scalars(
                    select(AdminAuditEntry.target).where(
                        AdminAuditEntry.action == "snapshot_diff_read"
                    )
                )
            ).all()
            details = (
                await session.scalars(
                    select(AdminAuditEntry.details).where(
                        AdminAuditEntry.action == "snapshot_diff_read"
                    )
                )
            ).all()
        assert reads.count(str(source_id)) >= 4
        # What was typed is kept only as the ids read from it.
        assert {"from": None, "to": third} in details
        assert {"from": None, "to": None} in details
        assert not any("example.org" in str(d) or "forged" in str(d) for d in details)


async def test_a_failing_source_says_why_in_the_pages_language(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A careless address (a redirect loop, a page too large, an image) must show the operator
    # what is wrong, not only that something is.
    reason = "more than 5 redirects from https://example.org/loop"
    async with running(sqlite_url, tmp_path, FrozenClock(NOW)) as h:
        await h.user("ops", "operator")
        async with h.runtime.sessions() as session, session.begin():
            session.add(seed.failing_source("https://example.org/loop", [TOPIC], reason, NOW))
        async with h.client() as client:
            await sign_in(client, "ops")
            english = (await client.get("/admin/operations?lang=en")).text
            bokmal = (await client.get("/admin/operations")).text
        row = english[english.index("https://example.org/loop") :].split("</tr>")[0]
        assert "failing" in row and "The source sent more than 5 redirects in a row." in row
        row = bokmal[bokmal.index("https://example.org/loop") :].split("</tr>")[0]
        assert ">failing<" not in row and "mer enn 5 videresendinger på rad" in row


async def test_a_source_that_went_back_to_an_earlier_version_shows_as_flipping_for_a_week(
    sqlite_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(NOW)
    async with running(sqlite_url, tmp_path, clock) as h:
        await h.user("ops", "operator")
        async with h.runtime.sessions() as session, session.begin():
            source = seed.failing_source("https://example.org/flip", [TOPIC], "", NOW)
            source.status, source.consecutive_failures, source.last_error = "ok", 0, None
            source.returned_at = NOW - timedelta(days=6)
            session.add(source)
        _, token = await h.token("ops")
        bearer = {"Authorization": f"Bearer {token}"}
        async with h.client() as client:
            await sign_in(client, "ops")
            bokmal = (await client.get("/admin/operations")).text
            # The JSON keeps the stored status, so a monitor counting ok sources counts this one.
            (flipping,) = (await client.get("/api/v1/admin/operations", headers=bearer)).json()[
                "sources"
            ]
        clock.advance(timedelta(days=2))
        async with h.client() as client:
            await sign_in(client, "ops")
            later = (await client.get("/admin/operations?lang=en")).text
            (settled,) = (await client.get("/api/v1/admin/operations", headers=bearer)).json()[
                "sources"
            ]
        assert (flipping["status"], flipping["flapping"]) == ("ok", True)
        assert (settled["status"], settled["flapping"]) == ("ok", False)
        row = bokmal[bokmal.index("https://example.org/flip") :].split("</tr>")[0]
        assert "veksler mellom versjoner" in row
        row = later[later.index("https://example.org/flip") :].split("</tr>")[0]
        assert "working" in row and "flipping" not in row


async def test_a_source_that_rotates_through_more_than_five_versions_says_what_to_do(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Eight teasers in turn, one every poll, and the first back after the seven others.
    async with running(sqlite_url, tmp_path, FrozenClock(NOW)) as h:
        await h.user("ops", "operator")
        async with h.runtime.sessions() as session, session.begin():
            source = seed.failing_source("https://example.org/teasers", [TOPIC], "", NOW)
            source.status, source.consecutive_failures, source.last_error = "ok", 0, None
            source.returned_at = NOW - timedelta(minutes=15)
            session.add(source)
            await session.flush()
            await seed.rotation(session, source.id, [*range(8), 0], NOW - timedelta(minutes=15))
        _, token = await h.token("ops")
        async with h.client() as client:
            await sign_in(client, "ops")
            bokmal = (await client.get("/admin/operations")).text
            english = (await client.get("/admin/operations?lang=en")).text
            (rotating,) = (
                await client.get(
                    "/api/v1/admin/operations", headers={"Authorization": f"Bearer {token}"}
                )
            ).json()["sources"]
        assert (rotating["status"], rotating["flapping"], rotating["rotating"]) == (
            "ok",
            True,
            True,
        )
        row = bokmal[bokmal.index("https://example.org/teasers") :].split("</tr>")[0]
        assert "roterer mellom flere enn fem versjoner" in row and "ignoreringsmønster" in row
        assert "veksler mellom versjoner" not in row
        row = english[english.index("https://example.org/teasers") :].split("</tr>")[0]
        assert "rotating through more versions than five" in row and "CSS selector" in row


async def test_mail_per_day_chart_and_table(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, FrozenClock(NOW)) as h:
        await h.user("ops", "operator")
        async with h.runtime.sessions() as session, session.begin():
            await seed.deliveries(session, NOW)
        async with h.client(params={"lang": "en"}) as client:
            await sign_in(client, "ops")
            page = (await client.get("/admin/operations")).text
        svg = page[page.index("<svg") : page.index("</svg>")]
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        for label in ("Sent", "Queued", "Retried", "Failed"):
            assert label in svg
        # Today: two queued (one of them retried), one sent. Yesterday: 2 sent (1 retried), 1
        # failed after retries. Dropped mails are in no series.
        rows = dict(re.findall(r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th>(.*?)</tr>', page))

        def cells(day: int) -> list[int]:
            key = (NOW.date() - timedelta(days=day)).isoformat()
            return [int(c) for c in re.findall(r"<td>(\d+)</td>", rows[key])]

        assert cells(0) == [1, 2, 1, 0]
        assert cells(1) == [2, 0, 2, 1]
        assert cells(2) == [0, 0, 0, 0]
        assert cells(3) == [1, 0, 0, 0]
        assert len([k for k in rows if re.match(r"\d{4}-", k)]) == 14


async def test_next_digest_runs_in_the_configured_zone(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, FrozenClock(NOW)) as h:
        await h.user("ops", "operator")
        async with h.client(params={"lang": "en"}) as client:
            await sign_in(client, "ops")
            before = (await client.get("/admin/operations")).text
            async with h.runtime.sessions() as session, session.begin():
                await seed.digest_run(session, "daily:2026-11-17", NOW - timedelta(hours=3), "done")
            after = (await client.get("/admin/operations")).text
        # 07:00 in Oslo is 06:00 UTC in winter: the next daily run is tomorrow morning, the
        # next weekly one Monday morning.
        oslo = ZoneInfo("Europe/Oslo")
        daily = next_run_after("daily", NOW, tz=oslo, hour=7)
        weekly = next_run_after("weekly", NOW, tz=oslo, hour=7, weekday=0)
        assert daily == datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
        assert weekly == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
        for page in (before, after):
            assert "Next run (Europe/Oslo)" in page
            assert f'<time datetime="{daily.isoformat()}">2026-11-18 07:00</time>' in page
            assert f'<time datetime="{weekly.isoformat()}">2026-11-23 07:00</time>' in page
        assert before.count("Not run yet") == 2
        assert after.count("Not run yet") == 1
        assert "daily:2026-11-17" in after and ">done<" in after
        _, token = await h.token("ops")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as robot:
            data = (await robot.get("/api/v1/admin/operations")).json()
        assert [d["next_run_at"] for d in data["digests"]] == [
            daily.isoformat(),
            weekly.isoformat(),
        ]
        assert data["digests"][0]["last_run"] == "daily:2026-11-17"
        assert data["dead_letters"] is None


async def test_dead_letters_are_shown_only_when_the_bus_keeps_them(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("ops", "operator")
        async with h.client() as client:
            await sign_in(client, "ops")
            page = (await client.get("/admin/operations")).text
        assert "dead-letter" not in page  # in process, failed events stay in the outbox

    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    namespace = f"varsel.test.{uuid.uuid4().hex[:12]}"
    dead_queue = f"{namespace}.mailer.dead"
    connection = await aio_pika.connect(BROKER_URL)
    channel = await connection.channel()
    try:
        await channel.declare_queue(dead_queue)
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=dead_queue)
        async with running(
            sqlite_url, tmp_path, broker_url=BROKER_URL, broker_namespace=namespace
        ) as h:
            await h.user("ops2", "operator")
            async with h.client() as client:
                await sign_in(client, "ops2")
                page = (await client.get("/admin/operations")).text
        assert "Meldinger i feilkøen (dead-letter): <strong" in page
        assert '<strong id="dead-letters">1</strong>' in page
    finally:
        await connection.close()
        await delete_topology(BROKER_URL, namespace)
