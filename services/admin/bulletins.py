"""Sending a bulletin, or a test of it, from the admin: the event for the mailer and the audit
entry, written in one transaction.

The admin keeps no copy of the words: the event carries them to the mailer, which stores them
and builds every mail (ADR 0002). No event names an address: a test send names the account,
whose address the mailer reads through the admin's read_api.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin.adapters import accounts, audit_log
from services.admin.domain.accounts import Principal
from services.admin.domain.bulletin_draft import BulletinDraft
from services.mailer import read_api as mailer
from shared import outbox
from shared.events import BulletinPublished, BulletinTestRequested
from shared.outbox import record

SENT = "bulletin_sent"
TESTED = "bulletin_tested"
SHOWN_SENT = 20
SHOWN_TESTS = 5  # an account's own latest tests
_TESTS_READ = 200  # the latest tests of every account, among which its own are found
_TEST_POLL_SECONDS = 0.1
# A test the ledger does not hold this long after it was asked for was purged since.
_QUEUED_WITHIN = timedelta(hours=1)
# The mailer stamps a bulletin's mails by its own clock, a little after the send is recorded;
# the margin covers clocks that differ between the admin's and the mailer's processes.
_CLOCK_MARGIN = timedelta(hours=1)
# The namespace of the ids of bulletin.published events (published_event_id): fixed for good,
# so that a send after an upgrade still meets an earlier press's event.
_PUBLISHED = uuid.UUID("3f0d6c62-5b0e-4f7a-9a57-8d2c1b6e4a10")


async def has_own_address(session: AsyncSession, principal: Principal) -> bool:
    """Tell whether the signed-in account has an address a test can go to."""
    user = await accounts.enabled_user(session, principal.user_id)
    return user is not None and bool(user.email)


def _fields(draft: BulletinDraft, actor: str) -> dict[str, object]:
    return {
        "bulletin_id": draft.bulletin_id,
        "topics": draft.topics,
        "texts": draft.texts,
        "urgent": draft.urgent,
        "actor": actor,
    }


async def already_sent(session: AsyncSession, draft: BulletinDraft) -> bool:
    """Tell whether this form was sent before (a second press of the button, a while ago)."""
    return await audit_log.exists(session, SENT, str(draft.bulletin_id))


async def sent_meanwhile(sessions: async_sessionmaker[AsyncSession], draft: BulletinDraft) -> bool:
    """Tell whether a send whose commit failed on a unique key lost to another send of this
    bulletin: the outbox holds its event now. Any other conflict is no «already sent»."""
    async with sessions() as session:
        return await outbox.holds(session, published_event_id(draft.bulletin_id))


def published_event_id(bulletin_id: uuid.UUID) -> uuid.UUID:
    """Return the id of the event that publishes a bulletin: one per bulletin, and no other
    event's.

    Derived, not the bulletin's id itself: that comes from the form, so a browser could post
    the id of another event in the outbox (a test's, which the audit log shows), and the send
    would then be refused, or, once that event's row was purged, dropped by the mailer as an
    event it had handled. A name-based UUID (version 5) is never a random one (version 4), and
    no form can choose the bulletin id that gives another's.
    """
    return uuid.uuid5(_PUBLISHED, str(bulletin_id))


async def send(session: AsyncSession, draft: BulletinDraft, principal: Principal) -> None:
    """Hand the bulletin to the mailer, in the caller's transaction.

    The event's id is derived from the bulletin's, so the outbox's unique key takes one send
    of a bulletin and refuses another at once (IntegrityError, when the first commits): two
    presses that both passed ``already_sent`` before either committed cannot both be recorded
    as sent.
    """
    event_id = published_event_id(draft.bulletin_id)
    fields = {**_fields(draft, principal.name), "event_id": event_id}
    await record(session, BulletinPublished.model_validate(fields))


async def send_test(session: AsyncSession, draft: BulletinDraft, principal: Principal) -> uuid.UUID:
    """Ask the mailer for a test send to the account's own address, in the caller's transaction;
    return the id of the request, by which the ledger knows its mails."""
    event = BulletinTestRequested.model_validate(
        {**_fields(draft, principal.name), "staff_user_id": principal.user_id}
    )
    await record(session, event)
    return event.event_id


async def test_mails(
    sessions: async_sessionmaker[AsyncSession],
    request: uuid.UUID,
    languages: list[str],
    *,
    wait: float,
) -> list[mailer.TestMail]:
    """Return what became of a test's mails, waiting up to ``wait`` seconds for all to be sent
    or to fail (the mailer sends them after the request's commit, with the relay's answer)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        async with sessions() as session:
            mails = (await mailer.bulletin_test_mails(session, {request: languages}))[request]
        waiting = any(m.state is mailer.TestMailState.WAITING for m in mails)
        if not waiting or asyncio.get_running_loop().time() >= deadline:
            return mails
        await asyncio.sleep(_TEST_POLL_SECONDS)


@dataclass(frozen=True, slots=True)
class TestSend:
    """One of an account's tests as the bulletin page lists it: when, what, and each mail."""

    requested_at: datetime
    subject_nb: str
    mails: list[mailer.TestMail]


async def latest_tests(
    session: AsyncSession, principal: Principal, now: datetime
) -> list[TestSend]:
    """Return the account's newest tests, newest first, with what became of their mails."""
    asked = []
    for entry in await audit_log.latest_of(session, TESTED, _TESTS_READ):
        details = entry.details or {}
        if entry.actor != principal.name or "request" not in details:
            continue  # another's, or recorded before tests were kept in the ledger
        try:
            request = uuid.UUID(str(details["request"]))
        except ValueError:
            continue
        asked.append((request, [str(lang) for lang in details.get("languages", [])], entry))
        if len(asked) == SHOWN_TESTS:
            break
    mails = await mailer.bulletin_test_mails(session, {r: langs for r, langs, _ in asked})
    tests = []
    for request, _, entry in asked:
        of_test = mails.get(request, [])
        if not any(m.in_ledger for m in of_test) and entry.occurred_at < now - _QUEUED_WITHIN:
            continue  # purged with the ledger's old rows (or never queued): nothing to say
        subject = str((entry.details or {}).get("subject_nb", ""))
        tests.append(TestSend(entry.occurred_at, subject, of_test))
    return tests


def audit_details(draft: BulletinDraft) -> dict[str, object]:
    """Return what the audit log keeps of a bulletin: which, to whom, how; its nb subject."""
    return {
        "topics": list(draft.topics),
        "mode": draft.mode.value,
        "languages": sorted(draft.texts),
        "subject_nb": draft.texts["nb"]["subject"],
    }


@dataclass(frozen=True, slots=True)
class SentBulletin:
    """A bulletin as the list of sent ones shows it: the audit entry and the ledger's counts."""

    sent_at: datetime
    actor: str
    topics: list[str]
    mode: str
    subject_nb: str
    deliveries: mailer.BulletinDeliveries


async def last_sent(session: AsyncSession, limit: int = SHOWN_SENT) -> list[SentBulletin]:
    """Return the newest sent bulletins, newest first, with what became of their mails."""
    entries = []
    for entry in await audit_log.latest_of(session, SENT, limit):
        try:
            entries.append((uuid.UUID(entry.target or ""), entry))
        except ValueError:
            continue  # every send records its bulletin id; a damaged entry is left out
    if not entries:
        return []
    since = min(entry.occurred_at for _, entry in entries) - _CLOCK_MARGIN
    counts = await mailer.bulletin_deliveries(session, [i for i, _ in entries], since)
    return [
        SentBulletin(
            sent_at=entry.occurred_at,
            actor=entry.actor,
            topics=[str(t) for t in (entry.details or {}).get("topics", [])],
            mode=str((entry.details or {}).get("mode", "")),
            subject_nb=str((entry.details or {}).get("subject_nb", "")),
            deliveries=counts[bulletin_id],
        )
        for bulletin_id, entry in entries
    ]
