"""Which addresses the sign-up accepts: only those every mail system can deliver to as written."""

from __future__ import annotations

import pytest

from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.entrypoints.wording import ADDRESS_PROBLEMS
from shared.vocabulary import LANGUAGES
from tests.support.words import page_text


def test_a_local_part_of_64_characters_is_accepted_and_normalised() -> None:
    assert normalise_address(" " + "K" * 64 + "@Example.NO ") == "k" * 64 + "@example.no"


def test_a_local_part_longer_than_rfc_5321_allows_is_refused_with_its_own_reason() -> None:
    with pytest.raises(InvalidAddress) as refused:
        normalise_address("k" * 65 + "@example.no")
    assert refused.value.reason == "error_email_local_too_long"


@pytest.mark.parametrize(
    "address",
    [
        "=?utf-8?q?kari=0D=0Abcc=3A_ola=40example=2Eno?=@example.no",
        "=?UTF-8?B?a2FyaQ0KYmNjOiBvbGFAZXhhbXBsZS5ubw==?=@example.no",
        "kari.=?iso-8859-1?q?=E6?=@example.no",
        "=?utf-8?q?kari?=",
    ],
)
def test_an_rfc_2047_encoded_word_in_the_local_part_is_refused(address: str) -> None:
    # A receiving parser decodes the word into a recipient that may hold CR/LF or a second
    # address; no real mailbox is spelt like that.
    with pytest.raises(InvalidAddress) as refused:
        normalise_address(address if "@" in address else address + "@example.no")
    assert refused.value.reason == "error_email_encoded"


def test_ordinary_addresses_with_equals_and_question_marks_still_pass() -> None:
    assert normalise_address("a=b?c@example.no") == "a=b?c@example.no"


def test_a_local_part_beyond_ascii_is_refused_for_mail_unless_the_relay_takes_it() -> None:
    # Only a relay that speaks SMTPUTF8 takes it; the domain leaves as IDNA in any case.
    with pytest.raises(InvalidAddress) as refused:
        normalise_address("Åse@example.no", non_ascii_local=False)
    assert refused.value.reason == "error_email_local_not_ascii"
    assert normalise_address("Åse@example.no", non_ascii_local=True) == "åse@example.no"
    assert normalise_address("Kari@Blåbær.NO", non_ascii_local=False) == "kari@blåbær.no"
    assert normalise_address("kari@xn--blbr-roah.no", non_ascii_local=False) == ("kari@blåbær.no")


@pytest.mark.parametrize(
    "reason",
    [
        "error_email_missing",
        "error_email_invalid",
        "error_email_local_too_long",
        "error_email_encoded",
        "error_email_local_not_ascii",
    ],
)
def test_every_reason_has_words_in_every_language(reason: str) -> None:
    # The form shows the reason in the person's language; Norwegian never falls back to English.
    message = ADDRESS_PROBLEMS[reason]
    for language in LANGUAGES:
        shown = page_text(language, message)
        assert shown and (shown != message) == (language != "en"), (language, shown)
