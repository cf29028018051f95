"""Who is reminded of a waiting change: its topics' named editors, else every editor."""

from __future__ import annotations

from dataclasses import dataclass

from services.mailer.domain.review import reminder_recipients


@dataclass(frozen=True)
class Staff:
    name: str
    role: str


KARI = Staff("kari", "editor")
OLA = Staff("ola", "editor")
DRIFT = Staff("drift", "operator")
EVERYONE = [DRIFT, KARI, OLA]  # the staff with an address


def test_the_named_editors_with_an_address_are_reminded_and_nobody_else() -> None:
    assert reminder_recipients({"kari"}, EVERYONE) == [KARI]
    assert reminder_recipients({"drift", "ola", "uten-adresse"}, EVERYONE) == [DRIFT, OLA]


def test_when_no_named_editor_has_an_address_every_editor_is_reminded() -> None:
    assert reminder_recipients(set(), EVERYONE) == [KARI, OLA]
    assert reminder_recipients({"uten-adresse", "slettet"}, EVERYONE) == [KARI, OLA]


def test_with_nobody_to_write_to_nobody_is_reminded() -> None:
    assert reminder_recipients({"kari"}, []) == []
    assert reminder_recipients(set(), [DRIFT]) == []
