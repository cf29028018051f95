"""Migration 0025: the confirmation mails of people erased before it no longer name the sign-up
request (whose id the consent ledger keeps as the token confirmed with); every other delivery
is left as it was."""

from __future__ import annotations

import asyncio
import json
import uuid

from alembic import command

from shared.schema import upgrade
from tests.integration.test_audit_addresses_migration import _run, database_url
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

ERASED_REQUEST, KEPT_REQUEST, CHANGE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PERSON = uuid.uuid4()
FORGOTTEN = {"request_id": "00000000-0000-0000-0000-000000000000"}
DELIVERIES = [
    # (subscriber, kind, batch key, reference) before, and the key and reference after.
    (None, "confirm", f"confirm:{ERASED_REQUEST}:{CHANGE}", {"request_id": str(ERASED_REQUEST)}),
    (PERSON, "confirm", f"confirm:{KEPT_REQUEST}:{CHANGE}", {"request_id": str(KEPT_REQUEST)}),
    (None, "alert", f"change:{CHANGE}", {"change_id": str(CHANGE)}),
]
AFTER = [
    ("confirm:forgotten", FORGOTTEN),
    (DELIVERIES[1][2], DELIVERIES[1][3]),
    (DELIVERIES[2][2], DELIVERIES[2][3]),
]


def test_an_erased_persons_confirmation_names_no_request(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0024")
    json_in = ":reference" if database_url.startswith("sqlite") else "CAST(:reference AS json)"
    for subscriber, kind, key, reference in DELIVERIES:
        asyncio.run(
            _run(
                database_url,
                "INSERT INTO mail_deliveries (subscriber_id, batch_key, kind, reference, status, "
                "attempts, next_attempt_at, created_at) VALUES (:subscriber, :key, :kind, "
                f"{json_in}, 'sent', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                subscriber=None if subscriber is None else str(subscriber),
                key=key,
                kind=kind,
                reference=json.dumps(reference),
            )
        )

    upgrade(database_url)

    rows = asyncio.run(
        _run(database_url, "SELECT batch_key, reference FROM mail_deliveries ORDER BY id")
    )
    read = [(key, ref if isinstance(ref, dict) else json.loads(str(ref))) for key, ref in rows]
    assert read == AFTER
