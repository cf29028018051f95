"""What a claimed batch's mails need, loaded in a few queries before any is built."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import read_api as catalogue
from services.mailer.adapters import bulletins, changes, pending_items
from services.mailer.adapters.tables import BulletinRecord, ChangeRecord
from services.mailer.domain.ledger import (
    AlertReference,
    BulletinReference,
    Claimed,
    ConfirmReference,
    DeliveryKind,
)
from services.subscriptions import read_api
from shared.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class BatchContext:
    """The people, changes, bulletins, digest contents and sign-up requests a batch refers to."""

    people: dict[uuid.UUID, read_api.Addressee]
    changes: dict[uuid.UUID, ChangeRecord]
    digests: dict[int, list[uuid.UUID]]  # the change ids attached to each digest delivery
    requests: dict[uuid.UUID, read_api.ConfirmationContext | None]
    # Read afresh for a topic's last mails: this process may not have heard the topic ended.
    catalogue: Catalogue | None = None
    bulletins: dict[uuid.UUID, BulletinRecord] = field(default_factory=dict)
    digest_bulletins: dict[int, list[uuid.UUID]] = field(default_factory=dict)


async def load_batch_context(session: AsyncSession, claimed: Sequence[Claimed]) -> BatchContext:
    """Load everything the batch's mails show; erased people and purged changes are missing."""
    people = await read_api.addressees(
        session, {c.subscriber_id for c in claimed if c.subscriber_id is not None}
    )
    digest_ids = [c.id for c in claimed if c.kind is DeliveryKind.DIGEST]
    digests = await pending_items.changes_of(session, digest_ids)
    digest_bulletins = await pending_items.bulletins_of(session, digest_ids)
    bulletin_ids = {
        c.reference.bulletin_id for c in claimed if isinstance(c.reference, BulletinReference)
    }
    bulletin_ids.update(b for attached in digest_bulletins.values() for b in attached)
    change_ids = {c.reference.change_id for c in claimed if isinstance(c.reference, AlertReference)}
    change_ids.update(change_id for attached in digests.values() for change_id in attached)
    requests = {
        c.reference.request_id: await read_api.confirmation_context(session, c.reference.request_id)
        for c in claimed
        if isinstance(c.reference, ConfirmReference)
    }
    in_force = None
    if any(c.kind is DeliveryKind.TOPIC_ENDED for c in claimed):
        _, in_force = await catalogue.current_catalogue(session)
    return BatchContext(
        people,
        await changes.by_id(session, change_ids),
        digests,
        requests,
        in_force,
        await bulletins.by_id(session, bulletin_ids),
        digest_bulletins,
    )
