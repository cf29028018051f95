"""What a claimed batch's mails need, loaded in a few queries before any is built."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import read_api as catalogue
from services.admin.read_api import StaffAddressee
from services.mailer.adapters import bulletins, changes, deliveries, pending_items, releases
from services.mailer.adapters.tables import BulletinRecord, ChangeRecord
from services.mailer.digest_reach import digest_since
from services.mailer.domain.digest_window import ReleasedChange, owed
from services.mailer.domain.ledger import (
    AlertReference,
    BulletinReference,
    BulletinTestReference,
    Claimed,
    ConfirmReference,
    DeliveryKind,
    DigestReference,
    ReviewReminderReference,
)
from services.subscriptions import read_api
from shared.catalogue_entries import Catalogue


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """A claimed batch, what its mails show, when this process stops handing them to SMTP,
    and whether it is as large as asked (else nothing more is due)."""

    claimed: list[Claimed]
    context: BatchContext | None
    deadline: datetime
    full: bool


@dataclass(frozen=True, slots=True)
class BatchContext:
    """The people, changes, bulletins, digest contents and sign-up requests a batch refers to."""

    people: dict[uuid.UUID, read_api.Addressee]
    changes: dict[uuid.UUID, ChangeRecord]
    # The change ids each digest delivery tells; deliveries owed the same share one tuple.
    digests: dict[int, tuple[uuid.UUID, ...]]
    requests: dict[uuid.UUID, read_api.ConfirmationContext | None]
    # Read afresh for a topic's last mails: this process may not have heard the topic ended.
    catalogue: Catalogue | None = None
    bulletins: dict[uuid.UUID, BulletinRecord] = field(default_factory=dict)
    digest_bulletins: dict[int, list[uuid.UUID]] = field(default_factory=dict)
    # The staff accounts reminders and tests go to, by id; one disabled or without an address
    # is missing.
    staff: dict[int, StaffAddressee] = field(default_factory=dict)
    # The builder's choice of changes for a digest's contents and a person's topics, made once
    # per batch for everyone who shares them (filled while the batch's mails are built).
    digest_selections: dict[
        tuple[tuple[uuid.UUID, ...], frozenset[str]], tuple[list[ChangeRecord], str]
    ] = field(default_factory=dict)


async def load_batch_context(session: AsyncSession, claimed: Sequence[Claimed]) -> BatchContext:
    """Load everything the batch's mails show; erased people and purged changes are missing."""
    people = await read_api.addressees(
        session, {c.subscriber_id for c in claimed if c.subscriber_id is not None}
    )
    digest_ids = [c.id for c in claimed if c.kind is DeliveryKind.DIGEST]
    pending = await pending_items.changes_of(session, digest_ids)
    digests = await _with_released(
        session, [c for c in claimed if c.kind is DeliveryKind.DIGEST], pending
    )
    digest_bulletins = await pending_items.bulletins_of(session, digest_ids)
    bulletin_ids = {
        c.reference.bulletin_id for c in claimed if isinstance(c.reference, BulletinReference)
    }
    bulletin_ids.update(b for attached in digest_bulletins.values() for b in attached)
    change_ids = {c.reference.change_id for c in claimed if isinstance(c.reference, AlertReference)}
    change_ids.update(change_id for attached in digests.values() for change_id in attached)
    change_ids.update(
        e for c in claimed if isinstance(c.reference, AlertReference) for e in c.reference.earlier
    )
    reminders = [c.reference for c in claimed if isinstance(c.reference, ReviewReminderReference)]
    change_ids.update(r.change_id for r in reminders)
    staff: dict[int, StaffAddressee] = {}
    tests = [c.reference for c in claimed if isinstance(c.reference, BulletinTestReference)]
    for user_id in {r.user_id for r in reminders} | {t.user_id for t in tests}:
        if (addressee := await catalogue.staff_addressee(session, user_id)) is not None:
            staff[user_id] = addressee
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
        staff=staff,
    )


async def _with_released(
    session: AsyncSession, claimed: Sequence[Claimed], pending: dict[int, list[uuid.UUID]]
) -> dict[int, tuple[uuid.UUID, ...]]:
    """Return each digest's pending changes followed by the changes of its window of the release
    log the person is owed now (docs/decisions/0016): topics ended since the run, and changes an
    alert told, are left out."""
    digests = {delivery_id: tuple(attached) for delivery_id, attached in pending.items()}
    windows = {
        c.id: (c.subscriber_id, c.reference.after, c.reference.through)
        for c in claimed
        if isinstance(c.reference, DigestReference)
        and c.reference.after is not None
        and c.reference.through is not None
        and c.subscriber_id is not None
    }
    if not windows:
        return digests
    lowest = min(after for _, after, _ in windows.values())
    highest = max(through for _, _, through in windows.values())
    # Plain copies: the rule reads each change's fields once per person, and an ORM attribute
    # costs several times a slot's (a batch of digests read them tens of thousands of times).
    released = [ReleasedChange.of(c) for c in await releases.between(session, lowest, highest)]
    people = {s for s, _, _ in windows.values()}
    since = await digest_since(session, people)
    alerted = await deliveries.alerted(session, people, [c.id for c in released])
    # People with the same window and topic start times are owed the same changes, as most
    # of a run's people are: the rule runs once for them, and they share its answer.
    shared: dict[tuple[int, int, frozenset[tuple[str, datetime]]], tuple[uuid.UUID, ...]] = {}
    for delivery_id, (subscriber_id, after, through) in windows.items():
        began = since.get(subscriber_id, {})
        key = (after, through, frozenset(began.items()))
        told = shared.get(key)
        if told is None:
            owed_now = owed(released, after=after, through=through, since=began)
            told = shared[key] = tuple(c.id for c in owed_now)
        unwanted = alerted.get(subscriber_id)
        if unwanted:
            told = tuple(c for c in told if c not in unwanted)
        first = digests.get(delivery_id)
        if first:  # pending items come first, and each change once
            known = set(first)
            told = first + tuple(c for c in told if c not in known)
        digests[delivery_id] = told
    return digests
