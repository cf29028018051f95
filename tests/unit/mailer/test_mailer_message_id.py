"""A delivery's Message-ID is the same on every try and differs between deliveries."""

from __future__ import annotations

import re

from services.mailer.domain.envelope import Envelope

ENVELOPE = Envelope.of("Folkehelseinstituttet <varsel@fhi.no>")


def test_a_retry_or_resend_after_a_crash_carries_the_same_message_id() -> None:
    first = ENVELOPE.delivery_message_id(41, "change:1")
    assert first == ENVELOPE.delivery_message_id(41, "change:1")
    assert re.fullmatch(r"<41\.[0-9a-f]{16}@fhi\.no>", first)


def test_other_deliveries_get_other_message_ids() -> None:
    ids = {ENVELOPE.delivery_message_id(n, f"change:{n % 7}") for n in range(1000)}
    assert len(ids) == 1000
    assert ENVELOPE.delivery_message_id(1, "change:a") != ENVELOPE.delivery_message_id(
        1, "change:b"
    )


def test_the_envelope_sender_is_the_from_address_and_its_domain_names_the_mails() -> None:
    assert (ENVELOPE.sender, ENVELOPE.domain) == ("varsel@fhi.no", "fhi.no")
    assert Envelope.of("") == Envelope("varsel@localhost", "localhost")
