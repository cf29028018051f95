"""A staff account's name in letters of two alphabets, or a publisher token's name with an
invisible character, would read as another name in the lists and the audit log."""

from __future__ import annotations

import pytest

from services.admin.domain.accounts import AdminError, check_name
from services.admin.publishing import token_name


@pytest.mark.parametrize(
    "name", ["op\u0435rator", "\u0430dmin", "kari-\u03bfle", "Ol\u0430 Nordmann"]
)
def test_a_name_mixing_alphabets_is_refused(name: str) -> None:
    with pytest.raises(AdminError, match="mixes letters of"):
        check_name(name)


@pytest.mark.parametrize(
    "name", ["operator", "Åse Ødegård", "Ольга", "Σοφία", "kari.nordmann2", "drift-team 3"]
)
def test_a_name_in_one_alphabet_is_taken(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize("typed", ["cms\u200b", "\u2060cms", "c\u00adms", "cms\ufeff"])
def test_a_token_name_typed_with_an_invisible_character_is_the_name_it_reads_as(
    typed: str,
) -> None:
    assert token_name(typed) == "cms"
