"""A delivery's Message-ID is the same on every try and differs between deliveries."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from services.mailer.delivery import Claimed, message_id_for


def claimed(delivery_id: int, batch_key: str = "change:1", attempts: int = 0) -> Claimed:
    lease = datetime(2026, 11, 22, 7, tzinfo=UTC)
    return Claimed(delivery_id, uuid.uuid4(), "alert", batch_key, {}, attempts, lease)


def test_a_retry_or_resend_after_a_crash_carries_the_same_message_id() -> None:
    first = message_id_for(claimed(41), "fhi.no")
    assert first == message_id_for(claimed(41, attempts=3), "fhi.no")
    assert re.fullmatch(r"<41\.[0-9a-f]{16}@fhi\.no>", first)


def test_other_deliveries_get_other_message_ids() -> None:
    ids = {message_id_for(claimed(n, f"change:{n % 7}"), "fhi.no") for n in range(1000)}
    assert len(ids) == 1000
    assert message_id_for(claimed(1, "change:a"), "fhi.no") != message_id_for(
        claimed(1, "change:b"), "fhi.no"
    )
