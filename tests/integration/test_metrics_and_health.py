"""Health, readiness and metrics endpoints against a real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.outcome import Health
from shared.events import SubscriberErased
from shared.outbox import record
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_sqlite
from varsel.app import create_app
from varsel.metrics import render_metrics

CATALOGUE = """
[[topics]]
slug = "t"
title = { nb = "Tema" }
"""


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    url = migrated_sqlite(tmp_path / "v.db")
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(Settings(database_url=url, config=config, var_dir=tmp_path))
    app = create_app(runtime, ("subscriptions",))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http,
    ):
        yield http, runtime


async def test_health_and_readiness(client: tuple[httpx.AsyncClient, object]) -> None:
    http, _ = client
    assert (await http.get("/healthz")).json() == {"status": "alive"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_readiness_fails_on_an_unmigrated_database(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", config=config)
    )
    ok, reason = await runtime.ready()
    await runtime.close()
    assert not ok
    assert "varsel migrate" in reason


async def test_metrics_are_served(client: tuple[httpx.AsyncClient, object]) -> None:
    http, _ = client
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert "varsel_outbox_pending" in response.text


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A migrated database with no process serving it, for reading the metrics directly."""
    url = migrated_sqlite(tmp_path / "m.db")
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(Settings(database_url=url, config=config))
    try:
        yield runtime
    finally:
        await runtime.close()


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_metrics_count_unpublished_events_and_their_lag(runtime: Runtime) -> None:
    async with runtime.sessions() as session, session.begin():
        await record(
            session,
            SubscriberErased(subscriber_id=uuid.uuid4(), occurred_at=NOW - timedelta(minutes=2)),
        )
    async with runtime.sessions() as session:
        text = (await render_metrics(session, NOW)).decode()
    assert "varsel_outbox_pending 1.0" in text
    assert "varsel_outbox_lag_seconds 120.0" in text


async def test_metrics_count_active_sources_by_status(runtime: Runtime) -> None:
    rows = [
        (Health.OK, True),
        (Health.OK, True),
        (Health.FAILING, True),
        (Health.FAILING, False),  # out of the catalogue: not counted
        (Health.NEW, False),
    ]
    await _add_sources(runtime, [{"status": status, "active": active} for status, active in rows])
    async with runtime.sessions() as session:
        text = (await render_metrics(session, NOW)).decode()
    assert 'varsel_sources{status="ok"} 2.0' in text
    assert 'varsel_sources{status="failing"} 1.0' in text
    assert 'status="new"' not in text
    assert "varsel_outbox_pending 0.0" in text  # nothing waits: no backlog, no age
    assert "varsel_outbox_lag_seconds 0.0" in text


async def test_metrics_say_how_long_the_source_due_the_longest_has_waited(
    runtime: Runtime,
) -> None:
    due = [
        (NOW - timedelta(minutes=5), True),  # put back twice, say: waited for its site's turns
        (NOW - timedelta(seconds=2), True),  # being polled now
        (NOW - timedelta(days=3), False),  # out of the catalogue: never polled again
        (NOW + timedelta(minutes=10), True),
    ]
    await _add_sources(
        runtime,
        [{"status": Health.OK, "active": active, "next_check_at": at} for at, active in due],
    )
    async with runtime.sessions() as session:
        text = (await render_metrics(session, NOW)).decode()
        later = (await render_metrics(session, NOW - timedelta(minutes=6))).decode()
    assert "varsel_sources_poll_lag_seconds 300.0" in text
    assert "varsel_sources_poll_lag_seconds 0.0" in later  # none due yet


async def _add_sources(runtime: Runtime, rows: list[dict[str, object]]) -> None:
    """Insert watched sources with these columns set, the rest alike."""
    async with runtime.sessions() as session, session.begin():
        session.add_all(
            WatchedSource(
                url=f"https://example.org/{i}",
                kind="html",
                topics=["t"],
                interval_seconds=600,
                **columns,
            )
            for i, columns in enumerate(rows)
        )


async def test_a_database_a_newer_release_migrated_keeps_an_older_process_ready(
    tmp_path: Path,
) -> None:
    # After the migration Job of a rolling update, or after `rollout undo`, the older pods run on
    # the newer schema (expand, then contract): taken out of service they would leave the
    # public pages with no pod, or a rollback that never completes.
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(database_url=migrated_sqlite(tmp_path / "n.db"), config=config)
    )
    async with runtime.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ok, reason = await runtime.ready()
    assert ok, reason
    assert "9999" in reason and "newer" in reason
    # One this release knows but has not reached still needs `varsel migrate`.
    async with runtime.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    ok, reason = await runtime.ready()
    await runtime.close()
    assert not ok
    assert "varsel migrate" in reason


async def _metrics_from(app: FastAPI, host: str) -> int:
    """Return the status of /metrics asked for by a client at ``host``."""
    transport = httpx.ASGITransport(app, client=(host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return (await http.get("/metrics")).status_code


@pytest.mark.parametrize("served", [(), ("81.2.69.0/24", "2001:db8:1::/48")])
async def test_metrics_are_served_only_to_the_networks_that_scrape_them(
    tmp_path: Path, served: tuple[str, ...]
) -> None:
    """Mail counts that move with one request tell whoever reads them whether an address they
    asked a manage link for gets alerts: the public internet never reads them."""
    url = migrated_sqlite(tmp_path / "v.db")
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    settings = Settings(database_url=url, config=config, var_dir=tmp_path, metrics_networks=served)
    app = create_app(build_runtime(settings), ("subscriptions",))
    inside = ("127.0.0.1", "::1", "10.42.0.7", "172.18.0.3", "192.168.1.20", "fd00:1::5")
    listed = ("81.2.69.160", "::ffff:81.2.69.160", "2001:db8:1:2::9")
    elsewhere = ("2a00:1450:400f:80d::200e", "8.8.8.8")
    async with LifespanManager(app):
        answers = {host: await _metrics_from(app, host) for host in (*inside, *listed, *elsewhere)}
    # By default every address that is not on the public internet (2001:db8:: is documentation's);
    # with networks named, those only.
    expected = {
        **dict.fromkeys(inside, 404 if served else 200),
        **dict.fromkeys(listed[:2], 200 if served else 404),
        listed[2]: 200,
        **dict.fromkeys(elsewhere, 404),
    }
    assert answers == expected


async def _metrics_forwarded_for(app: FastAPI, forwarded: str) -> int:
    """Return the status of /metrics asked for through the proxy at 127.0.0.1 for ``forwarded``."""
    transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/metrics", headers={"X-Forwarded-For": forwarded})
        return answer.status_code


@pytest.mark.parametrize("served", [(), ("81.2.69.0/24",)])
async def test_metrics_refuse_a_client_that_is_no_address(
    tmp_path: Path, served: tuple[str, ...]
) -> None:
    """A trusted proxy that passes on what the client wrote in X-Forwarded-For can hand the app
    a client that is no address at all: it cannot be placed in any network, so it is refused
    like one on the public internet. A Unix socket's client (none) stays a local one."""
    url = migrated_sqlite(tmp_path / "v.db")
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    settings = Settings(
        database_url=url,
        config=config,
        var_dir=tmp_path,
        metrics_networks=served,
        trusted_proxies=("127.0.0.1",),
    )
    app = create_app(build_runtime(settings), ("subscriptions",))
    listed = "81.2.69.160" if served else "10.0.0.9"
    async with LifespanManager(app):
        answers = {
            forwarded: await _metrics_forwarded_for(app, forwarded)
            for forwarded in ("garbage", "unknown", "_hidden", "8.8.8.8", listed)
        }
        local = await _metrics_from_unix_socket(app)
    assert answers == {
        "garbage": 404,
        "unknown": 404,
        "_hidden": 404,
        "8.8.8.8": 404,
        listed: 200,
    }
    assert local == 200


async def _metrics_from_unix_socket(app: FastAPI) -> int:
    """Return the status of /metrics asked for over a Unix socket: the server names no client."""
    transport = httpx.ASGITransport(app, client=None)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return (await http.get("/metrics")).status_code
