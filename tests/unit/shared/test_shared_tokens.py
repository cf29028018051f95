"""Link tokens: genuine ones verify; tampered, expired and future-dated ones do not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.tokens import Purpose, TokenSigner

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SUBJECT = uuid.UUID("6f1c2a52-9a43-4d3a-8f0e-2d7c1b9e4a10")
signer = TokenSigner("unit-test-secret-key-0123456789")


def test_a_token_issued_now_verifies_with_its_subject() -> None:
    token = signer.sign("manage", SUBJECT, NOW)
    claims = signer.verify("manage", token, now=NOW, max_age_days=30)
    assert claims is not None and claims.subject == SUBJECT


def test_a_token_issued_in_the_future_is_refused() -> None:
    token = signer.sign("manage", SUBJECT, NOW + timedelta(days=400))
    assert signer.verify("manage", token, now=NOW, max_age_days=30) is None
    tomorrow = signer.sign("confirm", SUBJECT, NOW + timedelta(days=1))
    assert signer.verify("confirm", tomorrow, now=NOW, max_age_days=7) is None


def test_an_issuer_a_little_ahead_across_midnight_is_tolerated() -> None:
    # Another replica whose clock runs a minute fast issues a token dated the next day.
    before_midnight = datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC)
    token = signer.sign("unsubscribe", SUBJECT, before_midnight + timedelta(minutes=1))
    assert signer.verify("unsubscribe", token, now=before_midnight, max_age_days=30) is not None
    # Dated the day after that: no clock is that far off, so the token is refused.
    late = signer.sign("unsubscribe", SUBJECT, before_midnight + timedelta(days=1, hours=1))
    assert signer.verify("unsubscribe", late, now=before_midnight, max_age_days=30) is None


def test_an_expired_token_is_refused() -> None:
    token = signer.sign("manage", SUBJECT, NOW - timedelta(days=31))
    assert signer.verify("manage", token, now=NOW, max_age_days=30) is None


def test_a_token_without_an_age_limit_lives_on_but_never_comes_from_the_future() -> None:
    years_ago = signer.sign("unsubscribe", SUBJECT, NOW - timedelta(days=10 * 365))
    claims = signer.verify("unsubscribe", years_ago, now=NOW, max_age_days=None)
    assert claims is not None and claims.subject == SUBJECT
    ahead = signer.sign("unsubscribe", SUBJECT, NOW + timedelta(days=2))
    assert signer.verify("unsubscribe", ahead, now=NOW, max_age_days=None) is None


def test_tokens_in_mails_already_sent_still_verify_and_are_signed_the_same() -> None:
    # Signed by the code before the keyed states were prepared once per purpose: the links
    # in every mail sent so far carry tokens like these, so neither form may change.
    sent: dict[Purpose, str] = {
        "confirm": "bxwqUppDTTqPDi18G55KEAAAUCo.xfJq-H-E4BxpKE1Io0pBrpEL5C0",
        "manage": "bxwqUppDTTqPDi18G55KEAAAUCo.2OeUYAWd0ej13C8HAJhzZPY7iVI",
        "unsubscribe": "bxwqUppDTTqPDi18G55KEAAAUCo.37MTWqRjZs2C8VT8hXSa17k2xGU",
    }
    assert signer.sign_each(("confirm", "manage", "unsubscribe"), SUBJECT, NOW) == tuple(
        sent.values()
    )
    for purpose, token in sent.items():
        claims = signer.verify(purpose, token, now=NOW, max_age_days=30)
        assert claims is not None and claims.subject == SUBJECT


def test_a_token_is_good_for_its_own_purpose_only() -> None:
    manage, unsubscribe = signer.sign_each(("manage", "unsubscribe"), SUBJECT, NOW)
    assert signer.verify("unsubscribe", manage, now=NOW, max_age_days=30) is None
    assert signer.verify("manage", unsubscribe, now=NOW, max_age_days=30) is None
    assert signer.verify("confirm", unsubscribe, now=NOW, max_age_days=30) is None
    other = TokenSigner("another-installation-secret-key")
    assert other.verify("manage", manage, now=NOW, max_age_days=30) is None


def test_a_token_is_accepted_in_the_spelling_it_was_signed_in_only() -> None:
    token = signer.sign("confirm", SUBJECT, NOW)
    assert token == "bxwqUppDTTqPDi18G55KEAAAUCo.xfJq-H-E4BxpKE1Io0pBrpEL5C0"
    assert signer.verify("confirm", token, now=NOW, max_age_days=30) is not None
    # 20 bytes fill 27 base64 characters with two bits to spare: a last character that differs
    # only in those bits decodes to the same bytes, as do stray characters and "+/" for "-_".
    respelt = (
        "bxwqUppDTTqPDi18G55KEAAAUCo.xfJq-H-E4BxpKE1Io0pBrpEL5C1",
        "bxwqUppDTTqPDi18G55KEAAAUCp.xfJq-H-E4BxpKE1Io0pBrpEL5C0",
        "bxwqUppDTTqPDi18G55KEAAAUCo.xfJq-H-E4BxpKE1Io0pBrpEL5C0=",
        "bxwqUppDTTqPDi18G55KEAAAUCo.xfJq+H+E4BxpKE1Io0pBrpEL5C0",
        "bxwqUppD\nTTqPDi18G55KEAAAUCo.xfJq-H-E4BxpKE1Io0pBrpEL5C0",
    )
    for spelling in respelt:
        assert signer.verify("confirm", spelling, now=NOW, max_age_days=30) is None, spelling
