"""Fixtures of the subscriptions unit tests: handlers on in-memory stores."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/unit has no __init__.py, so pytest puts only this folder on sys.path; the fakes are
# imported as tests.unit.subscriptions.fakes, also by the integration test that checks them.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.unit.subscriptions.harness import World  # noqa: E402


@pytest.fixture
def world() -> World:
    return World.build()
