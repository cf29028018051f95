"""A running process follows the catalogue in the database; VARSEL_CONFIG is applied at start."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin import catalogue as commands
from services.admin import read_api
from services.watcher.adapters.tables import WatchedSource
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.admin.catalogue_support import apply_elsewhere
from varsel.app import create_app

# Nothing listens on the discard port: polls fail at once, quietly, and change nothing.
FIRST = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", en = "Norway in the world" }

[[topics]]
slug = "gammelt-tema"
title = { nb = "Gammelt tema" }

[[sources]]
url = "http://127.0.0.1:9/verden"
kind = "page"
topics = ["norge-i-verden"]

[[sources]]
url = "http://127.0.0.1:9/gammel"
kind = "page"
topics = ["gammelt-tema"]
"""

SECOND = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Noreg i verda", en = "Norway in the world" }

[[topics]]
slug = "nytt-tema"
title = { nb = "Nytt tema", en = "A new topic" }

[[sources]]
url = "http://127.0.0.1:9/verden"
kind = "page"
topics = ["norge-i-verden"]
paused = true

[[sources]]
url = "http://127.0.0.1:9/ny"
kind = "page"
topics = ["nytt-tema"]
interval = "30s"
"""


async def test_a_change_reaches_pages_and_watcher_without_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(FIRST, encoding="utf-8")
    settings = Settings(
        database_url=database_url,
        config=config,
        var_dir=tmp_path,
        catalogue_check_seconds=0.2,
        allow_private_addresses=True,
    )
    runtime = build_runtime(settings)
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert runtime.catalogue.version == 1
        assert (await client.get("/subscribe/nytt-tema")).status_code == 404
        assert (await client.get("/subscribe/gammelt-tema")).status_code == 200

        started = time.monotonic()
        await apply_elsewhere(database_url, SECOND)
        while runtime.catalogue.version != 2:
            assert time.monotonic() - started < 5, "the change did not arrive within 5 s"
            await asyncio.sleep(0.05)

        page = await client.get("/subscribe/nytt-tema")
        assert page.status_code == 200 and "Nytt tema" in page.text
        assert "Noreg i verda" in (await client.get("/subscribe/norge-i-verden")).text
        assert (await client.get("/subscribe/gammelt-tema")).status_code == 410  # it ended

        async def watched() -> dict[str, WatchedSource]:
            async with runtime.sessions() as session:
                return {r.url: r for r in (await session.scalars(select(WatchedSource))).all()}

        # The watcher syncs its table just after the new version is read.
        while "http://127.0.0.1:9/ny" not in (rows := await watched()):
            assert time.monotonic() - started < 5, "the watcher did not take the new source"
            await asyncio.sleep(0.05)
        assert rows["http://127.0.0.1:9/ny"].active
        assert rows["http://127.0.0.1:9/ny"].interval_seconds == 30
        assert not rows["http://127.0.0.1:9/verden"].active  # paused
        assert not rows["http://127.0.0.1:9/gammel"].active  # gone from the catalogue


async def test_a_restart_keeps_later_changes_unless_the_file_changed(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(FIRST, encoding="utf-8")
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    now = SystemClock().now()

    async def version() -> int:
        async with sessions() as session:
            return await read_api.catalogue_version(session)

    try:
        # Two replicas starting at once: one applies, the other finds it done.
        results = await asyncio.gather(
            commands.apply_at_start(sessions, config, now, allow_private=True),
            commands.apply_at_start(sessions, config, now, allow_private=True),
        )
        assert sorted(r is None for r in results) == [False, True]
        assert await version() == 1

        await apply_elsewhere(database_url, SECOND)
        assert await commands.apply_at_start(sessions, config, now, allow_private=True) is None
        async with sessions() as session:
            _, catalogue = await read_api.current_catalogue(session)
        assert catalogue.topic("nytt-tema") is not None, "a restart undid an applied change"

        config.write_text(FIRST.replace("Gammelt tema", "Eldre tema"), encoding="utf-8")
        result = await commands.apply_at_start(sessions, config, now, allow_private=True)
        assert result is not None and not result.empty
        assert await version() == 3
    finally:
        await engine.dispose()


# A file whose second source is on the loopback network, which `varsel check-config` refuses.
WITH_LOOPBACK = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden" }

[[topics]]
slug = "intern"
title = { nb = "Intern side" }

[[sources]]
url = "https://nettsted.invalid/verden"
kind = "page"
topics = ["norge-i-verden"]

[[sources]]
url = "http://127.0.0.1:9/intern"
kind = "page"
topics = ["intern"]
"""


async def test_start_up_leaves_out_a_source_every_poll_of_which_would_be_refused_and_says_so(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(WITH_LOOPBACK, encoding="utf-8")
    settings = Settings(database_url=database_url, config=config, var_dir=tmp_path)
    assert not settings.allow_private_addresses
    runtime = build_runtime(settings)
    app = create_app(runtime)
    with caplog.at_level("INFO"):
        async with app.router.lifespan_context(app):
            sources = [s.url for s in runtime.catalogue.current.sources]
            topics = [t.slug for t in runtime.catalogue.current.topics]
            async with runtime.sessions() as session:
                watched = (await session.scalars(select(WatchedSource.url))).all()

    # Before, the source was added and failed at every poll; refused, the service would not
    # start. The rest of the file is applied, the topic without its source too.
    assert sources == ["https://nettsted.invalid/verden"]
    assert topics == ["norge-i-verden", "intern"]
    assert watched == ["https://nettsted.invalid/verden"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        f"catalogue: source http://127.0.0.1:9/intern in {config} is not added at start, as every"
        " poll of it would fail (refused 127.0.0.1: it resolves to a private, loopback or"
        " link-local address (set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)). The rest of"
        " the file is applied; take the source out of the file, as `varsel check-config` asks"
    ]
    # Allowed later, the same file is applied again at the next start, that source with it.
    engine = create_engine(database_url)
    try:
        now = SystemClock().now()
        sessions = session_factory(engine)
        assert await commands.apply_at_start(sessions, config, now, allow_private=False) is None
        applied = await commands.apply_at_start(sessions, config, now, allow_private=True)
        assert applied is not None and [c.key for c in applied.changes] == [
            "http://127.0.0.1:9/intern"
        ]
    finally:
        await engine.dispose()
