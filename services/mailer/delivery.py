"""Sending queued deliveries: claim a batch, build each mail, hand it to the sender, record it.

Exactly once, as far as SMTP allows:

* The ledger has one row per (subscriber, batch key), so nothing is queued twice.
* A claim leases its rows (FOR UPDATE SKIP LOCKED on PostgreSQL); another process takes a
  delivery only after the lease expired, and this process sends nothing whose lease is about
  to expire, so two processes never hold the same delivery at once.
* Each mail is re-checked at send time: erased, disabled or unsubscribed people, and alerts for
  people who switched to a digest, are dropped rather than sent.
* A mail is marked sent after its content went out, and only while this process's lease is
  current; its final "." of DATA and the mark's COMMIT are then written together (handover.py).
  A crash before those writes leaves a mail the server discards and a mark that is rolled
  back; after them, a mail the server takes and a committed mark. Either way it is sent once
  (docs/decisions/0008-record-before-the-final-dot.md).
* Other outcomes (deferrals, refusals) are committed in small groups while the batch is still
  sending (group commit).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jinja2
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.senders import (
    HandOverRefused,
    MailSender,
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
)
from services.mailer.adapters.tables import ChangeRecord, Delivery, PendingItem
from services.mailer.compose import Composer
from services.mailer.handover import HandOverLedger
from services.mailer.outcomes import RECORD_RETRY_PAUSES, Outcome, record_outcomes
from services.subscriptions import read_api
from shared.clock import Clock
from shared.wakeup import sleep_until_woken

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Nothing is handed to SMTP this close to the lease's end: another process may take it soon.
LEASE_MARGIN = timedelta(seconds=60)
# Outcomes already in the ledger (handed: marked sent before the final dot) or no longer this
# process's to write (lost: another process took the delivery over).
UNWRITTEN = frozenset({"handed", "lost"})


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process has leased."""

    id: int
    subscriber_id: uuid.UUID | None
    kind: str
    batch_key: str
    reference: dict[str, str]
    attempts: int
    lease_until: datetime


def message_id_for(item: Claimed, domain: str) -> str:
    """Return the delivery's Message-ID: the same on every try, so a resend is recognisable."""
    digest = hashlib.blake2b(f"{item.id}|{item.batch_key}".encode(), digest_size=8).hexdigest()
    return f"<{item.id}.{digest}@{domain}>"


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
        lease: timedelta = LEASE,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._composer = composer
        self._clock = clock
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._lease = lease
        # Nothing is handed to SMTP this close to the lease's end: another process may take it.
        self._margin = min(LEASE_MARGIN, lease / 5)
        engine = sessions.kw["bind"]
        self._skip_locked = not engine.url.drivername.startswith("sqlite")
        self._handovers = HandOverLedger(engine, clock)
        self.wake = asyncio.Event()
        self._stop = asyncio.Event()  # replaced by run()'s; once set, unsent mails are handed back

    async def claim(self) -> list[Claimed]:
        """Lease a batch of due deliveries."""
        now = self._clock.now()
        lease_until = now + self._lease
        async with self._sessions() as session, session.begin():
            query = (
                select(
                    Delivery.id,
                    Delivery.subscriber_id,
                    Delivery.kind,
                    Delivery.batch_key,
                    Delivery.reference,
                    Delivery.attempts,
                )
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
            rows = (await session.execute(query)).all()
            if rows:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_([r.id for r in rows]))
                    .values(status="sending", lease_until=lease_until)
                )
            return [
                Claimed(
                    r.id,
                    r.subscriber_id,
                    r.kind,
                    r.batch_key,
                    dict(r.reference),
                    r.attempts,
                    lease_until,
                )
                for r in rows
            ]

    async def send_due(self) -> int:
        """Send one claimed batch; return how many deliveries were handled."""
        claimed = await self.claim()
        if not claimed:
            return 0
        deadline = self._clock.now() + self._lease - self._margin
        people, changes, items = await self._context(claimed)
        semaphore = asyncio.Semaphore(self._concurrency)
        done: asyncio.Queue[Outcome | None] = asyncio.Queue()
        halt = asyncio.Event()  # set when the server is down or outcomes cannot be recorded

        async def one(item: Claimed) -> None:
            async with semaphore:
                if self._stop.is_set():
                    # Shutting down: give the mail back unsent so the next process sends it now.
                    done.put_nowait(Outcome(item.id, item.subscriber_id, item.kind, "released"))
                    return
                if halt.is_set() or self._clock.now() >= deadline:
                    done.put_nowait(Outcome(item.id, item.subscriber_id, item.kind, "held"))
                    return
                try:
                    outcome = await self._deliver(item, people, changes, items)
                except Exception as exc:
                    log.exception("mailer: delivery %d failed unexpectedly", item.id)
                    outcome = Outcome(
                        item.id, item.subscriber_id, item.kind, "retry", type(exc).__name__
                    )
                if outcome.status == "held":
                    halt.set()
                done.put_nowait(outcome)

        recorder = asyncio.create_task(self._recorder(claimed, done, halt))
        try:
            await asyncio.gather(*(one(c) for c in claimed))
        finally:
            done.put_nowait(None)
            await recorder
        return len(claimed)

    async def _context(
        self, claimed: list[Claimed]
    ) -> tuple[
        dict[uuid.UUID, read_api.Addressee],
        dict[uuid.UUID, ChangeRecord],
        dict[int, list[uuid.UUID]],
    ]:
        """Load the recipients, changes and digest items a batch needs, in a few queries."""
        change_ids = {
            uuid.UUID(c.reference["change_id"]) for c in claimed if "change_id" in c.reference
        }
        digests = [c.id for c in claimed if c.kind == "digest"]
        items: dict[int, list[uuid.UUID]] = {d: [] for d in digests}
        async with self._sessions() as session:
            people = await read_api.addressees(
                session, {c.subscriber_id for c in claimed if c.subscriber_id is not None}
            )
            if digests:
                attached = await session.execute(
                    select(PendingItem.delivery_id, PendingItem.change_id).where(
                        PendingItem.delivery_id.in_(digests)
                    )
                )
                for delivery_id, change_id in attached.all():
                    if delivery_id is not None:
                        items[delivery_id].append(change_id)
                        change_ids.add(change_id)
            changes = {}
            if change_ids:
                query = select(ChangeRecord).where(ChangeRecord.id.in_(change_ids))
                changes = {row.id: row for row in (await session.scalars(query)).all()}
        return people, changes, items

    async def _recorder(
        self,
        claimed: list[Claimed],
        done: asyncio.Queue[Outcome | None],
        halt: asyncio.Event,
    ) -> None:
        """Commit outcomes as they arrive, everything available in one transaction."""
        attempts = {c.id: c.attempts for c in claimed}
        finished = False
        while not finished:
            batch = [await done.get()]
            while not done.empty():
                batch.append(done.get_nowait())
            finished = None in batch
            outcomes = [o for o in batch if o is not None and o.status not in UNWRITTEN]
            if not outcomes:
                continue
            try:
                await self._record(outcomes, attempts)
            except Exception:
                halt.set()  # stop sending while the ledger cannot be written
                log.exception("mailer: cannot record %d outcomes", len(outcomes))
                raise

    async def _record(self, outcomes: list[Outcome], attempts: dict[int, int]) -> None:
        """Commit outcomes, trying again while the database restarts or fails over.

        Unrecorded, a deferred or refused mail would count as sent.
        """
        for pause in RECORD_RETRY_PAUSES:
            try:
                async with self._sessions() as session, session.begin():
                    await record_outcomes(session, outcomes, attempts, self._clock.now())
                return
            except Exception as exc:
                log.warning(
                    "mailer: cannot record %d outcomes yet (%s); trying again in %.1fs",
                    len(outcomes),
                    type(exc).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
        async with self._sessions() as session, session.begin():
            await record_outcomes(session, outcomes, attempts, self._clock.now())

    async def _deliver(
        self,
        item: Claimed,
        people: dict[uuid.UUID, read_api.Addressee],
        changes: dict[uuid.UUID, ChangeRecord],
        items: dict[int, list[uuid.UUID]],
    ) -> Outcome:
        def outcome(status: str, error: str | None = None, code: int | None = None) -> Outcome:
            return Outcome(item.id, item.subscriber_id, item.kind, status, error, code)

        person = people.get(item.subscriber_id) if item.subscriber_id else None
        if person is None:
            return outcome("dropped", "the subscriber no longer exists")
        if item.kind == "alert" and person.frequency != "immediate":
            return Outcome(
                item.id,
                item.subscriber_id,
                item.kind,
                "rhythm",
                change_id=item.reference.get("change_id"),
            )
        try:
            reference = {**item.reference, "delivery_id": str(item.id)}
            built = await self._composer.build(
                item.kind, reference, person, changes, self._clock.now(), items.get(item.id)
            )
        except LookupError as exc:
            return outcome("dropped", str(exc))
        except (ValueError, jinja2.TemplateError) as exc:
            log.error("mailer: cannot build %s delivery %d: %s", item.kind, item.id, exc)
            return outcome("failed", f"cannot build the mail: {exc}")
        if built is None:
            return outcome("dropped", "no longer wanted (unsubscribed, rhythm changed or erased)")
        message_id = message_id_for(item, self._composer.message_domain)
        payload = self._composer.sign(
            built.personalise(to=person.email, message_id=message_id, now=self._clock.now())
        )
        marked = False

        async def hand_over(release: Callable[[], None]) -> None:
            nonlocal marked
            await self._handovers.mark_sent(item.id, item.lease_until, release)
            marked = True

        try:
            await self._sender.send(
                self._composer.envelope_sender, person.email, payload, hand_over=hand_over
            )
        except HandOverRefused as exc:
            return outcome("lost" if exc.lease_lost else "held", str(exc))
        except ServerUnavailable as exc:
            return outcome("held", str(exc))
        except TemporaryFailure as exc:
            return outcome("retry", str(exc), exc.code)
        except PermanentFailure as exc:
            return outcome("bounced", str(exc), exc.code)
        # A sender that never called hand_over (none of ours) is recorded the old way, after.
        return outcome("handed" if marked else "sent")

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Send until stopped, waking early when new work is queued."""
        self._stop = stop
        while not stop.is_set():
            try:
                while await self.send_due():
                    if stop.is_set():
                        return
            except Exception:
                log.exception("mailer: delivery pass failed; will try again")
            await sleep_until_woken(self.wake, stop, poll_seconds)
