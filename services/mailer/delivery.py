"""Sending queued deliveries: claim a batch, build each mail, hand it to the sender, record it.

Several mailer processes share the queue: on PostgreSQL the claim uses FOR UPDATE SKIP LOCKED
and a lease, so a delivery is sent by one process; a process that dies leaves its lease to
expire and another picks the work up.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

import jinja2
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.senders import MailSender, PermanentFailure, TemporaryFailure
from services.mailer.adapters.tables import ChangeRecord, Delivery, PendingItem
from services.mailer.compose import Composer
from services.subscriptions import read_api
from shared.clock import Clock

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process has leased."""

    id: int
    subscriber_id: uuid.UUID | None
    kind: str
    batch_key: str
    reference: dict[str, str]
    attempts: int


class DeliveryWorker:
    """Sends due deliveries with bounded concurrency."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: MailSender,
        composer: Composer,
        clock: Clock,
        *,
        concurrency: int,
        batch_size: int = 200,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._composer = composer
        self._clock = clock
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._skip_locked = not sessions.kw["bind"].url.drivername.startswith("sqlite")
        self.wake = asyncio.Event()

    async def claim(self) -> list[Claimed]:
        """Lease a batch of due deliveries."""
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            query = (
                select(Delivery)
                .where(
                    or_(
                        (Delivery.status == "queued") & (Delivery.next_attempt_at <= now),
                        (Delivery.status == "sending") & (Delivery.lease_until < now),
                    )
                )
                .order_by(Delivery.id)
                .limit(self._batch_size)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            for row in rows:
                row.status = "sending"
                row.lease_until = now + LEASE
            return [
                Claimed(r.id, r.subscriber_id, r.kind, r.batch_key, dict(r.reference), r.attempts)
                for r in rows
            ]

    async def send_due(self) -> int:
        """Send one claimed batch; return how many deliveries were handled."""
        claimed = await self.claim()
        if not claimed:
            return 0
        async with self._sessions() as session:
            people = await read_api.addressees(
                session, {c.subscriber_id for c in claimed if c.subscriber_id is not None}
            )
            change_ids = {
                uuid.UUID(c.reference["change_id"]) for c in claimed if "change_id" in c.reference
            }
            changes = (
                {
                    row.id: row
                    for row in (
                        await session.scalars(
                            select(ChangeRecord).where(ChangeRecord.id.in_(change_ids))
                        )
                    ).all()
                }
                if change_ids
                else {}
            )
        semaphore = asyncio.Semaphore(self._concurrency)
        outcomes: list[tuple[Claimed, str, str | None]] = []

        async def one(item: Claimed) -> None:
            async with semaphore:
                outcomes.append(await self._deliver(item, people, changes))

        await asyncio.gather(*(one(c) for c in claimed))
        await self._record(outcomes)
        return len(claimed)

    async def _deliver(
        self,
        item: Claimed,
        people: dict[uuid.UUID, read_api.Addressee],
        changes: dict[uuid.UUID, ChangeRecord],
    ) -> tuple[Claimed, str, str | None]:
        person = people.get(item.subscriber_id) if item.subscriber_id else None
        if person is None:
            return item, "dropped", "the subscriber no longer exists"
        if item.kind == "alert" and person.frequency != "immediate":
            return item, "rhythm", None
        try:
            reference = {**item.reference, "delivery_id": str(item.id)}
            built = await self._composer.build(
                item.kind, reference, person, changes, self._clock.now()
            )
        except LookupError as exc:
            return item, "dropped", str(exc)
        except (ValueError, jinja2.TemplateError) as exc:
            log.error("mailer: cannot build %s delivery %d: %s", item.kind, item.id, exc)
            return item, "failed", f"cannot build the mail: {exc}"
        if built is None:
            return item, "dropped", "no longer wanted (unsubscribed, rhythm changed or unconfirmed)"
        message_id = make_msgid(idstring=f"{item.id}", domain=self._composer.message_domain)
        payload = built.personalise(to=person.email, message_id=message_id, now=self._clock.now())
        try:
            await self._sender.send(self._composer.envelope_sender, person.email, payload)
        except TemporaryFailure as exc:
            return item, "retry", str(exc)
        except PermanentFailure as exc:
            return item, "failed", str(exc)
        return item, "sent", None

    async def _record(self, outcomes: Sequence[tuple[Claimed, str, str | None]]) -> None:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            sent = [c.id for c, status, _ in outcomes if status == "sent"]
            if sent:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(sent))
                    .values(status="sent", sent_at=now, lease_until=None, last_error=None)
                )
            for item, status, error in outcomes:
                if status == "sent":
                    continue
                if status == "retry" and item.attempts + 1 < MAX_ATTEMPTS:
                    delay = timedelta(seconds=min(3600, 30 * 2**item.attempts))
                    values = {
                        "status": "queued",
                        "attempts": item.attempts + 1,
                        "next_attempt_at": now + delay,
                        "lease_until": None,
                        "last_error": error,
                    }
                    log.warning(
                        "mailer: delivery %d deferred (%s); retry in %s", item.id, error, delay
                    )
                else:
                    values = {
                        "status": "failed" if status in ("failed", "retry") else "dropped",
                        "attempts": item.attempts + 1,
                        "lease_until": None,
                        "last_error": error,
                    }
                    if status not in ("dropped", "rhythm"):
                        log.error("mailer: delivery %d failed for good: %s", item.id, error)
                await session.execute(
                    update(Delivery).where(Delivery.id == item.id).values(**values)
                )
            await _release_items(session, [c for c, status, _ in outcomes if status == "dropped"])
            await _to_digest(session, [c for c, status, _ in outcomes if status == "rhythm"], now)

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Send until stopped, waking early when new work is queued."""
        while not stop.is_set():
            try:
                while await self.send_due():
                    if stop.is_set():
                        return
            except Exception:
                log.exception("mailer: delivery pass failed; will try again")
            self.wake.clear()
            waiters = {asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())}
            _, pending = await asyncio.wait(
                waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()


async def _release_items(session: AsyncSession, dropped: Sequence[Claimed]) -> None:
    """Give a dropped digest's items back so the person's current rhythm can still send them."""
    ids = [c.id for c in dropped if c.kind == "digest"]
    if ids:
        await session.execute(
            update(PendingItem).where(PendingItem.delivery_id.in_(ids)).values(delivery_id=None)
        )


async def _to_digest(session: AsyncSession, alerts: Sequence[Claimed], now: datetime) -> None:
    """Turn alerts for people who switched to a digest into pending items for it."""
    for item in alerts:
        if item.subscriber_id is None:
            continue
        change_id = uuid.UUID(item.reference["change_id"])
        exists = await session.scalar(
            select(PendingItem.id).where(
                PendingItem.subscriber_id == item.subscriber_id, PendingItem.change_id == change_id
            )
        )
        if exists is None:
            change = await session.get(ChangeRecord, change_id)
            if change is not None:
                session.add(
                    PendingItem(
                        subscriber_id=item.subscriber_id,
                        change_id=change_id,
                        topic=change.topics[0],
                        created_at=now,
                    )
                )
