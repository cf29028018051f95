"""Services run apart need the broker: without one, a process says so when it starts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shared.runtime import build_runtime
from shared.settings import Settings
from varsel.app import SERVICES, create_app

CATALOGUE = """
[[topics]]
slug = "vaksiner"
title = { nb = "Vaksiner" }
page = "https://www.fhi.no/vaksiner/"
"""


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    database = f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}"
    return Settings(database_url=database, config=config, **overrides)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_service_run_alone_without_a_broker_warns_that_events_stay_in_its_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = build_runtime(_settings(tmp_path))
    try:
        with caplog.at_level(logging.WARNING, logger="varsel.app"):
            create_app(runtime, ("watcher",))
    finally:
        await runtime.close()
    [warning] = [w for w in _warnings(caplog) if "VARSEL_BROKER_URL" in w]
    assert warning.startswith("varsel: watcher run here without VARSEL_BROKER_URL")
    assert "run subscriptions, mailer, admin in this process" in warning


@pytest.mark.parametrize(
    ("services", "broker"),
    [
        (SERVICES, ""),
        (("subscriptions", "watcher", "mailer", "admin"), ""),
        (("watcher",), "amqp://guest:guest@127.0.0.1:5672/"),
    ],
    ids=["all services in one process", "all but the bounce intake", "one service with a broker"],
)
async def test_all_services_together_or_a_broker_need_no_warning(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    services: tuple[str, ...],
    broker: str,
) -> None:
    runtime = build_runtime(_settings(tmp_path, broker_url=broker))
    try:
        with caplog.at_level(logging.WARNING, logger="varsel.app"):
            create_app(runtime, services)
    finally:
        await runtime.close()
    assert not [w for w in _warnings(caplog) if "VARSEL_BROKER_URL" in w]
