"""The signed notice a saved source form carries to the list (services/admin/domain/desk_notice):
read back only by the account it was signed for, with the key that signed it, for minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.admin.domain.desk_notice import LIFETIME, OnDesk, read, signed

KEY = "k" * 40
AT = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("on_desk", [OnDesk(1, 0), OnDesk(0, 3), OnDesk(2, 1)])
def test_a_signed_notice_reads_back_as_it_was(on_desk: OnDesk) -> None:
    value = signed(KEY, "ed", on_desk, AT)
    assert read(KEY, "ed", value, AT) == on_desk
    assert read(KEY, "ed", value, AT + LIFETIME) == on_desk


def test_a_notice_tells_nothing_to_another_account_key_time_or_when_changed() -> None:
    value = signed(KEY, "ed", OnDesk(1, 0), AT)
    waiting, minor, issued, mac = value.split(".")
    assert read(KEY, "eda", value, AT) is None
    assert read("x" * 40, "ed", value, AT) is None
    assert read(KEY, "ed", value, AT + LIFETIME + timedelta(seconds=1)) is None
    assert read(KEY, "ed", value, AT - timedelta(minutes=2)) is None  # signed in the future
    assert read(KEY, "ed", f"9.{minor}.{issued}.{mac}", AT) is None
    assert read(KEY, "ed", f"{waiting}.{minor}.{int(issued) + 60}.{mac}", AT) is None


@pytest.mark.parametrize(
    "value", [None, "", "1.0", "1.0.1.2.3", "-1.0.1.x", "١.0.1.x", "1" * 7 + ".0.1.x", "a.b.c.d"]
)
def test_what_is_not_a_notice_tells_nothing(value: str | None) -> None:
    assert read(KEY, "ed", value, AT) is None


def test_a_notice_of_nothing_moved_tells_nothing() -> None:
    assert read(KEY, "ed", signed(KEY, "ed", OnDesk(0, 0), AT), AT) is None
