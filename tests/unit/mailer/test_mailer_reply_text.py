"""An SMTP reply as the log and the delivery ledger keep it holds no address, in any spelling."""

from __future__ import annotations

import pytest

from services.mailer.domain.reply_text import scrubbed


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        ("550 5.1.1 <kari@fhi.no>: Recipient unknown", "550 5.1.1 <address>: Recipient unknown"),
        ("550 5.1.1 kari\uff20fhi.no: unknown", "550 5.1.1 <address> unknown"),
        ("550 5.1.1 kari\ufe6bfhi.no unknown", "550 5.1.1 <address> unknown"),
        ("250 2.0.0 Ok: queued as 4Xyz", "250 2.0.0 Ok: queued as 4Xyz"),
    ],
)
def test_an_address_in_a_reply_is_scrubbed_however_its_at_sign_is_written(
    reply: str, kept: str
) -> None:
    assert scrubbed(reply) == kept
