"""What the staff side reads as a number from an address or a form."""

from __future__ import annotations

import pytest

from services.admin.entrypoints.typed_numbers import typed_number


@pytest.mark.parametrize(
    ("raw", "number"),
    [("7", 7), ("007", 7), ("123456789", 123456789), ("1234567890", None), ("", None),
     (None, None), ("-1", None), ("1.5", None), ("²", None), ("٣", None), (" 7", None)],
)  # fmt: skip
def test_only_ascii_digits_up_to_the_limit_are_a_number(
    raw: str | None, number: int | None
) -> None:
    assert typed_number(raw, 9) == number
