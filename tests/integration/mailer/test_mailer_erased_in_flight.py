"""A person erased while a mail to them is in a worker's hand: the mail is withdrawn at its
hand-over, and in the embedded mode without SMTP no file of it is left in the outbox folder,
where it would hold the address for the outbox's retention period."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.mailer.adapters.file_sender import FileMailSender
from services.mailer.domain.ledger import DeliveryStatus
from tests.integration.mailer.faults import GatedSender
from tests.integration.mailer.harness import Harness

ADDRESS = "kari@example.org"


async def test_a_mail_in_hand_when_its_person_is_erased_leaves_no_file(
    harness: Harness, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    person = await harness.subscribe(ADDRESS)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    gate = GatedSender(FileMailSender(outbox))
    worker = harness.worker(gate, concurrency=1)
    sending = asyncio.create_task(worker.send_due())
    await asyncio.wait_for(gate.reached.wait(), 10)  # claimed, built, about to be written

    await harness.erase(person)
    await harness.relay()  # the mailer drops what was open for them, the sending one too
    gate.gate.set()
    assert await sending == 1

    (alert,) = await harness.deliveries("alert")
    assert alert.status == DeliveryStatus.DROPPED
    assert alert.subscriber_id is None
    left = [p for p in outbox.rglob("*") if p.is_file()] if outbox.exists() else []
    assert left == [], "a file of the erased person's mail is left"
    assert all(ADDRESS.encode() not in p.read_bytes() for p in left)
