"""Handlers of the mailer: one async function per event, in the caller's transaction.

The bus runs each in one transaction with its inbox row, so a redelivered event does nothing.
Mails are only queued here, staff notices and an editor's test of a bulletin too; the delivery
worker sends them after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import command_api as admin_commands
from services.admin import read_api as admin
from services.mailer import unsent_digests
from services.mailer.adapters import (
    bulletins,
    changes,
    deliveries,
    digest_cursors,
    pending_items,
    releases,
    reviews,
)
from services.mailer.adapters.senders import MailSender
from services.mailer.domain.bulletins import BulletinRoute, route_for
from services.mailer.domain.ledger import Batch, DeliveryKind
from services.mailer.domain.review import ChangeStatus, status_on_arrival
from services.mailer.fanout import FANOUT_BATCH, fan_out
from services.subscriptions import read_api
from shared.clock import Clock
from shared.events import (
    BulletinPublished,
    BulletinTestRequested,
    CatalogueChanged,
    ChangeApproved,
    ContentChanged,
    ManageLinkRequested,
    PageRemoved,
    PreferencesChanged,
    SignupRequested,
    SourceFailing,
    SourceRecovered,
    SubscriberErased,
    SubscriberUnsubscribed,
)
from shared.page_urls import names_exactly
from shared.settings import Settings
from shared.vocabulary import ChangeProducer, Frequency, ReviewMode

log = logging.getLogger(__name__)

# The kinds of mail that follow topics, and end when a person ends all their alerts.
_TOPIC_MAIL = (DeliveryKind.ALERT, DeliveryKind.DIGEST, DeliveryKind.BULLETIN)


@dataclass(frozen=True, slots=True)
class Deps:
    """What the mailer's handlers need besides a session and their event."""

    settings: Settings
    clock: Clock
    sender: MailSender  # for erasures (its copies of mails): every mail goes through the ledger


async def signup_requested(session: AsyncSession, deps: Deps, event: SignupRequested) -> None:
    """Queue the confirmation mail."""
    batch = Batch.confirm(event.request_id, event.event_id)
    await deliveries.queue_once(session, event.subscriber_id, [batch], deps.clock.now())


async def manage_link_requested(
    session: AsyncSession, deps: Deps, event: ManageLinkRequested
) -> None:
    """Queue the mail with a fresh manage link."""
    batch = Batch.manage_link(event.event_id)
    await deliveries.queue_once(session, event.subscriber_id, [batch], deps.clock.now())


async def content_changed(session: AsyncSession, deps: Deps, event: ContentChanged) -> None:
    """Record the change; tell its followers now, or hold it for review, or (minor) nobody."""
    mode = await admin.source_review_mode(session, event.source_url)
    # The watcher polls only the catalogue's sources: a poll of one it no longer holds was in
    # flight when an editor removed the source (or edited its address), and withdrawing it is
    # what the removal did to the changes then waiting. A publisher may push for any page.
    source_removed = mode is None and event.producer == ChangeProducer.WATCHER
    if mode is None and not source_removed:
        # No source claims it (a push for a page nobody watches): a topic its editor reviews
        # whole still holds it, or the push would bypass the desk.
        mode = await admin.topics_review_mode(session, event.topics)
    pushed_loosely = event.producer == ChangeProducer.PUBLISHER and (
        event.source_id is None or not names_exactly(event.url, event.source_url)
    )
    if pushed_loosely and mode != ReviewMode.REVIEW:
        # A review page's address with one more parameter names the automatic source at the
        # same path, or none: a review source at that place holds it, or it bypasses the desk.
        mode = await admin.place_review_mode(session, event.url) or mode
    status = status_on_arrival(mode, minor=event.minor, source_removed=source_removed)
    if status is ChangeStatus.WITHDRAWN:
        await _withdrawn_on_arrival(session, deps, event)
        return
    await changes.store(session, event, status)
    if status is ChangeStatus.PUBLISHED:
        if event.producer == ChangeProducer.PUBLISHER and event.source_id is None:
            # Not an error, but the one way a change goes out that no editor's mode chose.
            log.warning(
                "mailer: pushed change %s names no watched page; sent without review",
                event.event_id,
            )
        await fan_out(session, event.event_id, event.topics, deps.clock.now())
    else:
        log.info("mailer: change %s is %s; nobody alerted yet", event.event_id, status.value)


async def _withdrawn_on_arrival(session: AsyncSession, deps: Deps, event: ContentChanged) -> None:
    """Keep a change whose source was removed while it was polled as withdrawn, now, by whoever
    removed the source, with its audit entry: as the removal withdrew the changes waiting then,
    so the desk and the audit log say who and when of every withdrawal."""
    now = deps.clock.now()
    removed_by = await admin.source_removed_by(session, event.source_url)
    await changes.store(session, event, ChangeStatus.WITHDRAWN, decided=(removed_by, now))
    admin_commands.record_withdrawal(
        session, event.event_id, event.source_url, actor=removed_by, now=now
    )
    log.warning(
        "mailer: change %s of %s withdrawn: the source is no longer in the catalogue "
        "(removed, or its address edited, while it was polled, by %s); nobody alerted",
        event.event_id,
        event.source_url,
        removed_by,
    )


async def change_approved(session: AsyncSession, deps: Deps, event: ChangeApproved) -> None:
    """Tell an approved change to its topics' followers, as an automatic one is told on arrival.

    Once: the bus's inbox skips a redelivered event, and the ledger's unique key and the change's
    one place in the release log refuse a second fan-out; a fan-out cut short rolls back whole
    and runs again. The change is read again first: an event for a change that is not stored
    (purged) or not approved is logged and acknowledged, as retrying it could never succeed.
    """
    change = await reviews.stored(session, event.change_id)
    if change is None:
        log.warning("mailer: approved change %s is not stored; nobody alerted", event.change_id)
        return
    if change.status != ChangeStatus.APPROVED:
        log.warning(
            "mailer: change %s is %s, not approved; nobody alerted", event.change_id, change.status
        )
        return
    # A topic may have ended while its change waited: its followers had their last mail, and
    # an alert about it after that would be a mail they were told would not come.
    topics = await _still_followed(session, event.topics)
    now = deps.clock.now()
    if topics:
        await fan_out(session, event.change_id, topics, now)
    else:
        log.info(
            "mailer: approved change %s: its topics have ended; nobody alerted", event.change_id
        )
    await reviews.mark_fanned_out(session, event.change_id, now)


async def _still_followed(session: AsyncSession, topics: Iterable[str]) -> list[str]:
    """Return the topics the stored catalogue has not ended, in order."""
    _, catalogue = await admin.current_catalogue(session)
    ended = {topic.slug for topic in catalogue.ended}
    return [slug for slug in topics if slug not in ended]


async def catalogue_changed(session: AsyncSession, deps: Deps, event: CatalogueChanged) -> None:
    """Queue the last mail of each topic that ended to everyone who followed it, once each.

    The ledger's key per (person, topic) keeps it to one mail however often the event is
    delivered or the topic ends again.
    """
    now = deps.clock.now()
    for slug in event.ended_topics:
        batch = Batch.topic_ended(slug)
        total = 0
        async for recipients in read_api.stream_recipients(
            session, [slug], batch_size=FANOUT_BATCH
        ):
            await deliveries.queue_new(session, [r.subscriber_id for r in recipients], batch, now)
            total += len(recipients)
        log.info("mailer: topic %s ended; its last mail queued for %d subscribers", slug, total)


async def page_removed(session: AsyncSession, deps: Deps, event: PageRemoved) -> None:
    """Queue the notice that a page is gone to everyone following its topics, once each."""
    batch = Batch.page_removed(event)
    now = deps.clock.now()
    total = 0
    topics = await _still_followed(session, event.topics)  # an ended topic's last mail was sent
    async for recipients in read_api.stream_recipients(session, topics, batch_size=FANOUT_BATCH):
        # One row per person however many of the topics they follow; the ledger's key keeps
        # it to one mail per person however often the event is delivered.
        await deliveries.queue_new(session, [r.subscriber_id for r in recipients], batch, now)
        total += len(recipients)
    log.info("mailer: source %d removed; notice queued for %d people", event.source_id, total)


async def bulletin_published(session: AsyncSession, deps: Deps, event: BulletinPublished) -> None:
    """Keep the bulletin's words; queue its mail for those who get it now, owe it to the others'
    next digest.

    One mail per person: a follower of several of its topics is streamed once, and the ledger's
    key ``bulletin:<id>`` (and the pending item's per person and bulletin) refuses a second.
    """
    if not await bulletins.store(session, event):
        log.info("mailer: bulletin %s was already taken in", event.bulletin_id)
        return
    # A topic may have ended since the editor's page listed it (each process reads the
    # catalogue in its own time): its followers had their last mail, which said no more come.
    topics = await _still_followed(session, event.topics)
    if not topics:
        log.info("mailer: bulletin %s: its topics have ended; nobody gets it", event.bulletin_id)
        return
    now = deps.clock.now()
    batch = Batch.bulletin(event.bulletin_id)
    total = 0
    async for recipients in read_api.stream_recipients(session, topics, batch_size=FANOUT_BATCH):
        now_ids, owed = [], []
        for recipient in recipients:
            if route_for(recipient.frequency, urgent=event.urgent) is BulletinRoute.NOW:
                now_ids.append(recipient.subscriber_id)
            else:
                owed.append((recipient.subscriber_id, recipient.topic))
        await deliveries.queue(session, now_ids, batch, now)
        await pending_items.add_bulletin(session, owed, event.bulletin_id, now)
        total += len(recipients)
    if total >= deliveries.ANALYZE_AFTER:
        await deliveries.refresh_planner_statistics(session)
    log.info(
        "mailer: bulletin %s (%s) for %d subscribers",
        event.bulletin_id,
        "urgent" if event.urgent else "with the next mails",
        total,
    )


async def bulletin_test_requested(
    session: AsyncSession, deps: Deps, event: BulletinTestRequested
) -> None:
    """Queue an editor's test of the bulletin they are writing, one mail per language, to
    their own account (its address read when the mail is built, never from the event).

    In the delivery ledger with the draft's words, and sent after the commit by the delivery
    worker like every staff notice (docs/decisions/0020): a relay that is down or silent holds
    up no transaction, and the editor's page reads from the ledger what became of it.
    """
    queued = await deliveries.queue_staff(session, Batch.bulletin_tests(event), deps.clock.now())
    log.info(
        "bulletins: test of %s queued for account %d (%d mails)",
        event.bulletin_id,
        event.staff_user_id,
        queued,
    )


async def preferences_changed(session: AsyncSession, deps: Deps, event: PreferencesChanged) -> None:
    """Move what is owed to the new rhythm and drop what belongs to topics no longer followed.

    Each change reaches the person once whatever a run or a sender is doing meanwhile
    (docs/decisions/0016, point 7): their place is held first, a digest of the old rhythm
    that no sender has claimed is cancelled and hands its changes on here, and one a sender
    holds is left to it: it goes out, or the sender finds the new rhythm and hands it on.
    """
    person = event.subscriber_id
    place = await digest_cursors.hold(session, person)  # first, as a run does: no deadlock
    await pending_items.drop_open(session, person, keep_topics=event.topics)
    cancelled = await deliveries.cancel_waiting_digests(session, person, keep=event.frequency)
    windows = [window for _, reference in cancelled if (window := reference.told) is not None]
    # Switching to a digest moves no place: the digests reach back only to when the person's
    # mail became digests and leave out what an alert told, wherever this event falls among
    # the runs and releases (0016, point 7). Between daily and weekly the place stays.
    if not event.frequency.is_digest:
        # Switching to immediate: what waited for a digest goes out now, one alert per page.
        latest = await releases.current(session, settled=True)
        if event.previous_frequency is not Frequency.IMMEDIATE:
            windows.append((place, latest))  # released since the last digest queued
        await digest_cursors.move_to(session, [person], latest)
    await unsent_digests.hand_on(
        session,
        person,
        deps.clock.now(),
        windows=windows,
        digest_ids=[delivery_id for delivery_id, _ in cancelled],
    )


async def unsubscribed(session: AsyncSession, deps: Deps, event: SubscriberUnsubscribed) -> None:
    """Drop what was waiting for the ended topics (the sender re-checks at send time too)."""
    if event.all_topics:
        # Held first: a digest a run is queueing for them now is waited for and dropped here.
        await digest_cursors.hold(session, event.subscriber_id)
        await digest_cursors.forget(session, event.subscriber_id)
        await pending_items.drop_open(session, event.subscriber_id)
        await deliveries.drop_open(session, event.subscriber_id, kinds=_TOPIC_MAIL)
    else:
        await pending_items.drop_open(session, event.subscriber_id, topics=event.topics)


async def erased(session: AsyncSession, deps: Deps, event: SubscriberErased) -> None:
    """Drop everything queued for the person, unlink the ledger from their id, and delete the
    copies of their mails kept in the outbox folder (the embedded mode without SMTP)."""
    # Held first: a digest a run is queueing for them now is waited for and dropped here.
    await digest_cursors.hold(session, event.subscriber_id)
    await digest_cursors.forget(session, event.subscriber_id)
    await pending_items.forget_subscriber(session, event.subscriber_id)
    await deliveries.drop_open(session, event.subscriber_id, kinds=None)
    await deliveries.forget_subscriber(session, event.subscriber_id)
    await deps.sender.forget(event.subscriber_id)


async def source_status_changed(
    session: AsyncSession, deps: Deps, event: SourceFailing | SourceRecovered
) -> None:
    """Queue a mail to every operator that a watched source fails or works again; without
    operators, log.

    Operators are not subscribers: their addresses come from ``VARSEL_OPERATOR_EMAILS``, and
    the ledger names each by its place in that list, read again when the mail is built. The
    mails are queued in the bus's transaction and sent after it, by the delivery worker, with
    its retries and its hand-over (docs/decisions/0020): a relay that is down or silent holds
    up no transaction, nothing is lost, and nothing is sent twice.
    """
    settings = deps.settings
    what = "is failing" if isinstance(event, SourceFailing) else "has recovered"
    if not settings.operator_emails:
        log.info("operators: source %s %s (no VARSEL_OPERATOR_EMAILS set)", event.source_url, what)
        return
    batches = [Batch.operator_notice(event, i) for i in range(len(settings.operator_emails))]
    await deliveries.queue_staff(session, batches, deps.clock.now())
    log.info("operators: telling %d operator(s) that %s %s", len(batches), event.source_url, what)
