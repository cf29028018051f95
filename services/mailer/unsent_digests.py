"""What a digest that does not go out owed, handed to the rhythm the person has now (0016, 7).

A digest tells the changes of its window of the release log; the person's place moved past the
window when the digest was queued. A digest that does not go out (cancelled by a switch of
rhythm before any sender took it, or dropped by the sender: another rhythm, nothing left to
show, the person gone) must hand those changes on, or they are lost: as alerts to someone who
now gets them at once (one per page, its latest change telling the earlier ones), as pending
items to someone whose digests are now of another rhythm.
Each change still reaches the person once: a window belongs to one digest, an alert is keyed
per (person, change) in the ledger and a pending item per (person, change), and a sent alert
or a told item stays as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import changes, deliveries, digest_cursors, pending_items, releases
from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.digest_window import owed, unalerted
from services.mailer.domain.ledger import AlertReference, Batch
from services.mailer.domain.views import page_of
from services.subscriptions import read_api
from shared.vocabulary import Frequency

Window = tuple[int, int]  # (after, through] of the release log


async def hand_on(
    session: AsyncSession,
    subscriber_id: uuid.UUID,
    now: datetime,
    *,
    windows: Sequence[Window] = (),
    digest_ids: Sequence[int] = (),
) -> None:
    """Hand what dropped digests owed (their windows and attached items) to the person's
    rhythm now; with no digest, turn what waits for a digest into alerts if the person now
    gets them at once."""
    await digest_cursors.hold(session, subscriber_id)
    await pending_items.release(session, digest_ids)
    person = (await read_api.addressees(session, [subscriber_id])).get(subscriber_id)
    if person is None:
        # Erased while a run queued their digest: keep nothing of them, as the erasure did.
        await pending_items.forget_subscriber(session, subscriber_id)
        await digest_cursors.forget(session, subscriber_id)
        await deliveries.forget_subscriber(session, subscriber_id)
        return
    since = (await read_api.followed_since(session, [subscriber_id])).get(subscriber_id, {})
    if not since:
        # Following nothing, they are owed nothing; their place is of no use any more.
        await digest_cursors.forget(session, subscriber_id)
        return
    told = []
    if windows:
        lowest = min(after for after, _ in windows)
        highest = max(through for _, through in windows)
        for change in await releases.between(session, lowest, highest):
            if any(owed([change], after=a, through=t, since=since) for a, t in windows):
                told.append(change)
    if Frequency(person.frequency).is_digest:
        # A window reaching back past a switch from alerts holds changes an alert told.
        alerted = await deliveries.alerted(session, [subscriber_id], [c.id for c in told])
        for change in unalerted(told, alerted.get(subscriber_id, set())):
            topic = next(t for t in change.topics if t in since)
            await pending_items.add_once(session, subscriber_id, change.id, topic, now)
        return
    await tell_now(session, subscriber_id, [change.id for change in told], now)


async def tell_now(
    session: AsyncSession, subscriber_id: uuid.UUID, change_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Queue one alert per page of the changes, and of the items waiting for a digest, for
    someone who now gets mail at once; the bulletins owed to their next mails go out now too."""
    owed_bulletins = await pending_items.open_bulletins(session, subscriber_id)
    if owed_bulletins:
        await deliveries.queue_once(
            session, subscriber_id, [Batch.bulletin(b) for _, b in owed_bulletins], now
        )
        await pending_items.delete_items(session, [item_id for item_id, _ in owed_bulletins])
    pending = await pending_items.open_changes(session, subscriber_id)
    owed_again = [change_id for _, change_id in pending]
    alerts = owed_again + [c for c in change_ids if c not in owed_again]
    # A change an alert told already (queued or sent, not dropped for a digest) stays told.
    told = (await deliveries.alerted(session, [subscriber_id], alerts)).get(subscriber_id, set())
    told -= set(owed_again)
    batches = _one_per_page(await changes.by_id(session, [c for c in alerts if c not in told]))
    await deliveries.queue_once(session, subscriber_id, batches, now)
    if batches:
        # An alert dropped by an earlier switch to a digest (its change became the pending
        # item taken here) is the one owed again: requeue it; a sent one stays sent.
        await deliveries.requeue_dropped_alerts(session, subscriber_id, batches, now)
        await pending_items.delete_items(session, [item_id for item_id, _ in pending])


def _one_per_page(owed: Mapping[uuid.UUID, ChangeRecord]) -> list[Batch]:
    """Return one alert per page: its latest change, telling the page's earlier ones too.

    Thirty mails in one second, twenty-nine of them about versions the page no longer shows,
    is not what someone who asked for alerts at once expects of what waited for a digest.
    """
    pages: dict[tuple[str, str] | uuid.UUID, list[ChangeRecord]] = {}
    for change in owed.values():
        pages.setdefault(page_of(change.url, change.title, change.kind) or change.id, []).append(
            change
        )
    batches = []
    for page in pages.values():
        page.sort(key=lambda c: (c.occurred_at, c.release_seq or 0), reverse=True)
        latest, *earlier = page
        batches.append(Batch.alert(latest.id, tuple(c.id for c in earlier)))
    batches.sort(key=lambda b: min(owed[c].occurred_at for c in _told_by(b)))
    return batches


def _told_by(batch: Batch) -> list[uuid.UUID]:
    reference = batch.reference
    assert isinstance(reference, AlertReference)
    return [reference.change_id, *reference.earlier]
