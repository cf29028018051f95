"""An erased person's id leaves the mailer's tables on disk too, not only for readers.

The mailer forgets the id in its delivery ledger when ``subscriber.erased`` arrives, after the
subscriptions service has deleted the person and checkpointed. On SQLite the pages as they were
stay in the database file until the write-ahead log is copied back, which SQLite itself does
only after some thousand pages more. So the test reads the raw bytes of the database file and
its ``-wal`` right after the event is handled, for the id in the form the mailer stores it
(32 hex digits; the events between the services carry it in its dashed form for their own
7 days, docs/privacy.md).
"""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url

from services.subscriptions import handlers
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from shared.db import scrub_deleted
from tests.integration.mailer.harness import Harness, on

ERASED = "kari@example.org"
STAYS = "ola@example.org"


def _files_holding(harness: Harness, person: uuid.UUID) -> list[str]:
    """Return which of the database's files hold the person's id in their raw bytes."""
    database = Path(make_url(harness.runtime.settings.database_url).database or "")
    files = [database, database.with_name(f"{database.name}-wal")]
    needles = (person.hex.encode(), person.hex.upper().encode(), person.bytes)
    return [
        path.name
        for path in files
        if path.exists() and any(needle in path.read_bytes() for needle in needles)
    ]


async def _erase_as_the_service_does(harness: Harness, person: uuid.UUID) -> None:
    """Erase with the link in a mail, through the unit of work the public pages are given."""
    runtime = harness.runtime
    uow = SqlUnitOfWork(runtime.sessions, after_erasure=partial(scrub_deleted, runtime.engine))
    token = runtime.signer.sign("unsubscribe", person, harness.clock.now())
    assert await handlers.erase(
        uow, harness.deps, token, purposes=("unsubscribe",), route=UnsubscribeRoute.LINK
    )


@on("sqlite")
async def test_the_erased_persons_id_is_in_no_byte_of_the_database_files(
    harness: Harness,
) -> None:
    erased = await harness.subscribe(ERASED)
    stays = await harness.subscribe(STAYS)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    assert await harness.send_all() == 2
    await harness.change("Norge i verden: ny tabell")  # an alert still queued for each

    await _erase_as_the_service_does(harness, erased)
    # The subscriptions service has checkpointed; the mailer's ledger still holds the id, so
    # the search does find it while the mailer has not heard of the erasure.
    assert _files_holding(harness, erased) != []

    await harness.relay()

    ledger = await harness.deliveries()
    assert erased not in {delivery.subscriber_id for delivery in ledger}
    assert _files_holding(harness, erased) == [], "the erased person's id is still on disk"
    # The person who stays is untouched, and their id is found where it lives.
    assert {delivery.subscriber_id for delivery in ledger} >= {stays}
    assert _files_holding(harness, stays) != []
