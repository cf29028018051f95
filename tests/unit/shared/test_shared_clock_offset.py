"""A process's clock can be moved ahead to rehearse digest runs, never in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.clock import OffsetClock
from shared.runtime import build_runtime
from shared.settings import Settings


def test_offset_clock_runs_ahead_of_real_time() -> None:
    before = datetime.now(UTC)
    moved = OffsetClock(timedelta(days=8)).now()
    assert before + timedelta(days=8) <= moved <= datetime.now(UTC) + timedelta(days=8)
    assert moved.tzinfo is not None


def test_the_runtime_takes_its_clock_offset_from_settings(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, clock_offset_seconds=3600)
    runtime = build_runtime(settings)
    assert runtime.clock.now() > datetime.now(UTC) + timedelta(minutes=59)


def test_production_refuses_a_moved_clock() -> None:
    with pytest.raises(ValidationError, match="CLOCK_OFFSET"):
        Settings(
            environment="production",
            secret_key="x" * 40,
            base_url="https://varsel.example.no",
            clock_offset_seconds=60,
        )
