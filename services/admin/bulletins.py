"""Sending a bulletin, or a test of it, from the admin: the event for the mailer and the audit
entry, written in one transaction.

The admin keeps no copy of the words: the event carries them to the mailer, which stores them
and builds every mail (ADR 0002). No event names an address: a test send names the account,
whose address the mailer reads through the admin's read_api.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import accounts, audit_log
from services.admin.domain.accounts import Principal
from services.admin.domain.bulletin_draft import BulletinDraft
from services.mailer import read_api as mailer
from shared.events import BulletinPublished, BulletinTestRequested
from shared.outbox import record

SENT = "bulletin_sent"
TESTED = "bulletin_tested"
SHOWN_SENT = 20
# The mailer stamps a bulletin's mails by its own clock, a little after the send is recorded;
# the margin covers clocks that differ between the admin's and the mailer's processes.
_CLOCK_MARGIN = timedelta(hours=1)


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
    """Tell whether this form was sent before (a second press of the button)."""
    return await audit_log.exists(session, SENT, str(draft.bulletin_id))


async def send(session: AsyncSession, draft: BulletinDraft, principal: Principal) -> None:
    """Hand the bulletin to the mailer, in the caller's transaction."""
    await record(session, BulletinPublished.model_validate(_fields(draft, principal.name)))


async def send_test(session: AsyncSession, draft: BulletinDraft, principal: Principal) -> None:
    """Ask the mailer for a test send to the account's own address, in the caller's transaction."""
    event = BulletinTestRequested.model_validate(
        {**_fields(draft, principal.name), "staff_user_id": principal.user_id}
    )
    await record(session, event)


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
