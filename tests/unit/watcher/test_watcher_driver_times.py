"""The writer thread binds a time exactly as SQLAlchemy binds it.

adapters/driver_statements.py binds a UTCDateTime on SQLite with its own function instead of
UTCDateTime's and DATETIME's processors one after the other; a row must hold the same text.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from services.watcher.adapters.driver_statements import _bind_processor, _utc_text
from shared.db import UTCDateTime

_DIALECT = sqlite.dialect()
_IMPL = UTCDateTime().dialect_impl(_DIALECT)
_BIND = _IMPL.bind_processor(_DIALECT)
_ZONES = st.builds(
    timezone, st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timedelta(minutes=m))
)
# Far enough from datetime's ends that the time in UTC is one too.
_TIMES = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30), timezones=_ZONES
)


def test_the_quick_processor_is_the_one_used_on_sqlite() -> None:
    assert _bind_processor(UTCDateTime(), _DIALECT) is _utc_text


@given(_TIMES)
def test_a_time_is_bound_as_sqlalchemy_binds_it(value: datetime) -> None:
    assert _BIND is not None
    assert _utc_text(value) == _BIND(value)


def test_none_and_a_naive_time_are_handled_as_before() -> None:
    assert _BIND is not None
    assert _utc_text(None) is None and _BIND(None) is None
    with pytest.raises(ValueError, match="naive"):
        _utc_text(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        _BIND(datetime(2026, 1, 1))
