"""What a claimed batch's mails need, loaded in a few queries before any is built."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import read_api as catalogue
from services.mailer.adapters import bulletins, changes, deliveries, pending_items, releases
from services.mailer.adapters.tables import BulletinRecord, ChangeRecord
from services.mailer.digest_reach import digest_since
from services.mailer.domain.digest_window import owed, unalerted
from services.mailer.domain.ledger import (
    AlertReference,
    BulletinReference,
    Claimed,
    ConfirmReference,
    DeliveryKind,
    DigestReference,
)
from services.subscriptions import read_api
from shared.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class BatchContext:
    """The people, changes, bulletins, digest contents and sign-up requests a batch refers to."""

    people: dict[uuid.UUID, read_api.Addressee]
    changes: dict[uuid.UUID, ChangeRecord]
    digests: dict[int, list[uuid.UUID]]  # the change ids each digest delivery tells
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
    await _add_released(session, [c for c in claimed if c.kind is DeliveryKind.DIGEST], digests)
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


async def _add_released(
    session: AsyncSession, claimed: Sequence[Claimed], digests: dict[int, list[uuid.UUID]]
) -> None:
    """Add to each digest the changes of its window of the release log the person is owed now
    (docs/decisions/0016): topics ended since the run, and changes an alert told, are left
    out."""
    windows = {
        c.id: (c.subscriber_id, c.reference.after, c.reference.through)
        for c in claimed
        if isinstance(c.reference, DigestReference)
        and c.reference.after is not None
        and c.reference.through is not None
        and c.subscriber_id is not None
    }
    if not windows:
        return
    lowest = min(after for _, after, _ in windows.values())
    highest = max(through for _, _, through in windows.values())
    released = await releases.between(session, lowest, highest)
    people = {s for s, _, _ in windows.values()}
    since = await digest_since(session, people)
    alerted = await deliveries.alerted(session, people, [c.id for c in released])
    for delivery_id, (subscriber_id, after, through) in windows.items():
        told = unalerted(
            owed(released, after=after, through=through, since=since.get(subscriber_id, {})),
            alerted.get(subscriber_id, set()),
        )
        attached = digests.setdefault(delivery_id, [])
        attached.extend(c.id for c in told if c.id not in attached)
