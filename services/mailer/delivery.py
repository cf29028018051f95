"""Sending queued deliveries: claim a batch, build each mail, hand it to the sender, record it.

Exactly once, as far as SMTP allows:

* The ledger has one row per (subscriber, batch key), so nothing is queued twice.
* A claim leases its rows (FOR UPDATE SKIP LOCKED on PostgreSQL); another process takes a
  delivery only after the lease expired, and this process sends nothing whose lease is about
  to expire, so two processes never hold the same delivery at once.
* Each mail is re-checked at send time: erased, disabled or unsubscribed people, alerts for
  people who switched to a digest and digests for people who switched rhythm are dropped
  rather than sent (a dropped digest hands its changes on: unsent_digests).
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
import logging
from collections.abc import Callable
from datetime import timedelta

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.claims import claim_due
from services.mailer.adapters.dkim import DkimSigner
from services.mailer.adapters.handover import HandOverLedger
from services.mailer.adapters.senders import HandOverRefused, MailSender, SendFailure
from services.mailer.batch_context import BatchContext, ClaimedBatch, load_batch_context
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.ledger import Claimed
from services.mailer.domain.outcomes import (
    RECORD_RETRY_PAUSES,
    UNWRITTEN,
    Outcome,
    OutcomeKind,
)
from services.mailer.mail_builder import MailBuilder
from services.mailer.mail_preparation import MailPreparer, Ready, Staff
from services.mailer.outcomes import record_outcomes
from services.mailer.relay_state import RelayState
from services.mailer.unsent import unsent_outcome
from shared.clock import Clock

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Nothing is handed to SMTP this close to the lease's end: another process may take it soon.
LEASE_MARGIN = timedelta(seconds=60)
# Mails claimed at a time for each connection the relay takes. A batch ends when its slowest
# lane does, and the lanes that finished first wait for it and for the next claim: at 12 mails
# a lane (a batch of 200 for 16 connections) a send of 20,000 took a tenth longer, and each
# claim's work was shared by fewer mails (docs/benchmarks.md, «Mail fan-out»). At 32 a batch
# is still well inside the lease, however few connections the relay takes (ADR 0025).
MAILS_PER_LANE = 32


class DeliveryWorker:
    """Sends due deliveries with bounded concurrency."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: MailSender,
        builder: MailBuilder,
        clock: Clock,
        *,
        envelope: Envelope,
        dkim: DkimSigner | None = None,
        concurrency: int,
        batch_size: int | None = None,
        lease: timedelta = LEASE,
        stop: asyncio.Event | None = None,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._builder = builder
        self._clock = clock
        self._envelope = envelope
        self._dkim = dkim
        self._preparer = MailPreparer(builder, clock, envelope, dkim)
        self._concurrency = concurrency
        self._batch_size = batch_size  # None: MAILS_PER_LANE for each connection in use
        self._lease = lease
        # Nothing is handed to SMTP this close to the lease's end: another process may take it.
        self._margin = min(LEASE_MARGIN, lease / 5)
        engine = sessions.kw["bind"]
        self._skip_locked = not engine.url.drivername.startswith("sqlite")
        self._handovers = HandOverLedger(engine, clock)
        self.wake = asyncio.Event()
        # Once set, unsent mails are handed back: the process is shutting down.
        self.stop = stop or asyncio.Event()
        # The next batch, claimed and loaded while the current one's last mails are in flight.
        self._prefetched: asyncio.Task[ClaimedBatch] | None = None
        self.relay = RelayState()  # logs when sending stops for an unreachable server, and resumes

    def _claim_size(self) -> int:
        lanes = min(self._concurrency, self._sender.connections())
        return self._batch_size or MAILS_PER_LANE * lanes

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        """Lease a batch of due deliveries (``limit``: the batch's size, by default)."""
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            return await claim_due(
                session,
                now,
                now + self._lease,
                limit=limit or self._claim_size(),
                skip_locked=self._skip_locked,
            )

    async def send_due(self) -> int:
        """Send one claimed batch; return how many deliveries were handled."""
        batch = await self._take_prefetched()
        if batch is None or not batch.claimed:
            # Nothing prefetched, or nothing was due then: something may be due now.
            batch = await self._claim_and_load()
        if not batch.claimed:
            return 0
        claimed, context, deadline = batch.claimed, batch.context, batch.deadline
        assert context is not None, "a batch with mails has their context"
        done: asyncio.Queue[Outcome | None] = asyncio.Queue()
        halt = asyncio.Event()  # set when the server is down or outcomes cannot be recorded
        waiting = iter(claimed)  # shared by the lanes: each takes the next mail when it is free

        def unsendable(item: Claimed) -> Outcome | None:
            if self.stop.is_set():
                # Shutting down: give the mail back unsent so the next process sends it now.
                return Outcome.of(item, OutcomeKind.RELEASED)
            if halt.is_set() or self._clock.now() >= deadline:
                return Outcome.of(item, OutcomeKind.HELD)
            return None

        def take() -> Ready | Staff | None:
            """Return the next mail to send; record those not to be sent on the way."""
            for item in waiting:
                outcome = unsendable(item)
                if outcome is None:
                    try:
                        prepared = self._preparer.prepare(item, context)
                    except Exception as exc:
                        log.exception("mailer: delivery %d failed unexpectedly", item.id)
                        prepared = Outcome.of(item, OutcomeKind.RETRY, type(exc).__name__)
                    if not isinstance(prepared, Outcome):
                        return prepared
                    outcome = prepared
                if outcome.kind not in UNWRITTEN:
                    done.put_nowait(outcome)
            # Every mail of the batch is taken: claim and load the next while the last ones are
            # in flight, so the connections do not wait for those round trips. A short batch
            # says nothing more is due.
            if batch.full and not (self.stop.is_set() or halt.is_set()):
                self._prefetch()
            return None

        async def attempt(current: Ready | Staff, following: Ready | Staff | None) -> Outcome:
            outcome = unsendable(current.item)  # a send before may have stopped the batch
            if outcome is not None:
                return outcome
            try:
                if isinstance(current, Staff):
                    return await self._deliver_staff(current.item, context)
                then = following if isinstance(following, Ready) else None
                return await self._deliver(current, then)
            except Exception as exc:
                log.exception("mailer: delivery %d failed unexpectedly", current.item.id)
                return Outcome.of(current.item, OutcomeKind.RETRY, type(exc).__name__)

        async def lane() -> None:
            # One lane per pooled connection rather than a task per mail behind a semaphore:
            # a task, a lock wait and a wake-up per mail cost CPU that did nothing for the mail.
            # Each lane prepares its next mail before sending the current one, so that mail's
            # envelope can leave with the current one's final dot (mail_preparation.py).
            current = take()
            while current is not None:
                following = take()
                try:
                    outcome = await attempt(current, following)
                except BaseException:
                    # Stopped mid-send: the next mail was not sent (its envelope at most, which
                    # the server discards), so it is due again at once, as those no lane took.
                    if following is not None:
                        done.put_nowait(Outcome.of(following.item, OutcomeKind.RELEASED))
                    raise
                if outcome.kind is OutcomeKind.HELD:
                    halt.set()
                elif outcome.kind is OutcomeKind.TURNED_AWAY:
                    # The relay takes no more connections: this lane ends, the mails not yet
                    # taken go on the other lanes, and its two to the next batch (as many lanes).
                    done.put_nowait(outcome)
                    if following is not None:
                        done.put_nowait(Outcome.of(following.item, OutcomeKind.RELEASED))
                    return
                if outcome.kind not in UNWRITTEN:  # handed mails are in the ledger already
                    done.put_nowait(outcome)
                current = following

        recorder = asyncio.create_task(self._recorder(claimed, done, halt))
        ended = False
        try:
            # A task group, not gather: should one lane fail, the others stop too, so none
            # goes on sending, or claims the next batch, after this batch was wound up.
            async with asyncio.TaskGroup() as lanes:
                for _ in range(min(self._concurrency, self._sender.connections(), len(claimed))):
                    lanes.create_task(lane())
            ended = True
        finally:
            # An envelope sent early for a mail a stopped lane did not send: discarded.
            self._sender.abandon()
            try:
                # Stopped or not, the batch ends only once its hand-overs are committed: a mail
                # whose final dot went out is then recorded sent, and one withdrawn queued again.
                await self._handovers.settled()
                # Mails no lane took, the lanes having been stopped: due again at once, rather
                # than after the lease. (One in a lane's hand when it stopped may have gone out:
                # that one waits for the lease.)
                for item in waiting:
                    done.put_nowait(Outcome.of(item, OutcomeKind.RELEASED))
                done.put_nowait(None)
                await recorder
            except BaseException:
                ended = False
                raise
            finally:
                if not ended or self.stop.is_set() or halt.is_set():
                    # No batch follows this one now: the prefetched one goes back unsent.
                    kind = OutcomeKind.HELD if halt.is_set() else OutcomeKind.RELEASED
                    await self.hand_back(kind)
        return len(claimed)

    async def hand_back(self, kind: OutcomeKind = OutcomeKind.RELEASED) -> int:
        """Give a prefetched batch back unsent (``kind`` RELEASED or HELD); return its size.

        Left leased, its rows would wait for the lease to run out before any process sent them.
        """
        try:
            batch = await self._take_prefetched()
        except Exception:
            log.exception("mailer: the next batch could not be claimed")
            return 0
        if batch is None or not batch.claimed:
            return 0
        await self._give_back(batch.claimed, kind)
        return len(batch.claimed)

    async def _give_back(self, claimed: list[Claimed], kind: OutcomeKind) -> None:
        outcomes = [Outcome.of(item, kind) for item in claimed]
        try:
            await self._record(outcomes, {c.id: c.attempts for c in claimed})
        except Exception:
            log.exception(
                "mailer: cannot hand back %d claimed deliveries; they wait for their lease",
                len(outcomes),
            )

    def _prefetch(self) -> None:
        if self._prefetched is None:
            self._prefetched = asyncio.create_task(self._claim_and_load())

    async def _take_prefetched(self) -> ClaimedBatch | None:
        """Return the prefetched batch once it is loaded, or None when none was started."""
        task, self._prefetched = self._prefetched, None
        return None if task is None else await task

    async def _claim_and_load(self) -> ClaimedBatch:
        """Claim a batch and load what its mails show; its deadline counts from this claim."""
        claimed_at, size = self._clock.now(), self._claim_size()
        claimed = await self.claim(size)
        deadline, full = claimed_at + self._lease - self._margin, len(claimed) == size
        if not claimed:
            return ClaimedBatch(claimed, None, deadline, full)
        try:
            async with self._sessions() as session:
                context = await load_batch_context(session, claimed)
        except BaseException as exc:
            # Left leased, the rows would wait out the lease before any process sent them.
            # Stopped, they are due again at once; a failed load waits the server's pause, so a
            # database in trouble is not asked again in a tight loop. Past the deadline the
            # lease may have passed to another process: the rows are not this one's to write.
            if self._clock.now() < deadline:
                kind = OutcomeKind.HELD if isinstance(exc, Exception) else OutcomeKind.RELEASED
                await asyncio.shield(self._give_back(claimed, kind))
            raise
        return ClaimedBatch(claimed, context, deadline, full)

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
            outcomes = [o for o in batch if o is not None]
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

    async def _deliver(self, mail: Ready, then: Ready | None) -> Outcome:
        """Send a prepared mail; ``then`` is the mail this lane sends next, if any."""
        item = mail.item
        marked = False

        async def hand_over(release: Callable[[], None]) -> None:
            nonlocal marked
            await self._handovers.mark_sent(item.id, item.lease_until, release)
            marked = True

        try:
            await self._sender.send(
                mail.sender,
                mail.recipient,
                mail.payload,
                hand_over=hand_over,
                owner=item.subscriber_id,
                transparent=mail.transparent,
                then=None if then is None else then.envelope,
            )
        except (HandOverRefused, SendFailure) as exc:
            return unsent_outcome(item, exc, self.relay, self._clock.now())
        if self.relay.reason is not None:  # one attribute read a mail while all is well
            self.relay.reachable(self._clock.now())
        # A sender that never called hand_over (none of ours) is recorded the old way, after.
        return Outcome.of(item, OutcomeKind.HANDED if marked else OutcomeKind.SENT)

    async def _deliver_staff(self, item: Claimed, context: BatchContext) -> Outcome:
        """Send a staff notice as any mail is sent, from the plain envelope sender: a bounce
        of it is for a person to read, not for the bounce mailbox to count on a subscriber."""
        try:
            mail = self._builder.staff.build(item, context)
        except LookupError as exc:
            return Outcome.of(item, OutcomeKind.DROPPED, str(exc))
        except (ValueError, jinja2.TemplateError) as exc:
            log.error("mailer: cannot build %s delivery %d: %s", item.kind, item.id, exc)
            return Outcome.of(item, OutcomeKind.FAILED, f"cannot build the mail: {exc}")
        if mail is None:
            reason = "no longer wanted (decided meanwhile, or no such staff address now)"
            return Outcome.of(item, OutcomeKind.DROPPED, reason)
        payload = mail.message if self._dkim is None else self._dkim.sign(mail.message)
        handed = False

        async def hand_over(release: Callable[[], None]) -> None:
            nonlocal handed
            await self._handovers.mark_sent(item.id, item.lease_until, release)
            handed = True

        try:
            await self._sender.send(
                self._envelope.sender, mail.recipient, payload, hand_over=hand_over
            )
        except (HandOverRefused, SendFailure) as exc:
            return unsent_outcome(item, exc, self.relay, self._clock.now())
        if self.relay.reason is not None:
            self.relay.reachable(self._clock.now())
        return Outcome.of(item, OutcomeKind.HANDED if handed else OutcomeKind.SENT)
