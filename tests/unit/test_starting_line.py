"""The line `varsel run` logs as it starts names what runs, where, and where mail goes."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings
from varsel.app import SERVICES
from varsel.cli import starting_line


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(var_dir=tmp_path, **overrides)


def test_every_service_and_the_outbox_are_named(tmp_path: Path) -> None:
    line = starting_line(_settings(tmp_path), SERVICES, "127.0.0.1", 8000)
    assert line == (
        f"varsel: starting {', '.join(SERVICES)} on http://127.0.0.1:8000; "
        f"mail goes to {tmp_path / 'outbox'}/*.eml"
    )


def test_a_watcher_turned_off_is_not_said_to_start(tmp_path: Path) -> None:
    # Before, VARSEL_WATCHER_ENABLED=false still logged «starting subscriptions, watcher, …»,
    # and `varsel run watcher` «starting watcher», though nothing was polled.
    off = _settings(tmp_path, watcher_enabled=False, smtp_url="smtp://relay.example.no:25")
    line = starting_line(off, SERVICES, "0.0.0.0", 8000)
    running = ", ".join(s for s in SERVICES if s != "watcher")
    assert line == (
        f"varsel: starting {running} on http://0.0.0.0:8000; mail goes to SMTP; "
        "the watcher is off (VARSEL_WATCHER_ENABLED)"
    )
    alone = starting_line(off, ("watcher",), "0.0.0.0", 8000)
    assert alone.startswith("varsel: starting no service on http://0.0.0.0:8000;")
    assert alone.endswith("the watcher is off (VARSEL_WATCHER_ENABLED)")
