"""What the mailer publishes: mail counts and digest runs for operations, changes for feeds,
and previews of every mail it sends."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import changes, digest_runs, mail_counts

# Re-exported for the editor's desk.
from services.mailer.desk import ChangeOnDesk as ChangeOnDesk
from services.mailer.desk import change_on_desk as change_on_desk
from services.mailer.desk import changes_on_desk as changes_on_desk
from services.mailer.desk import recent_decisions as recent_decisions
from services.mailer.desk import waiting_of_source as waiting_of_source
from services.mailer.desk import waiting_of_sources as waiting_of_sources
from services.mailer.domain.ledger import (
    OPEN_STATUSES,
    Batch,
    DeliveryStatus,
    bulletin_test_key,
)
from services.mailer.domain.periods import next_run_after
from services.mailer.domain.review import ChangeStatus as ChangeStatus
from services.mailer.domain.review import shown_text

# Re-exported for the admin's previews.
from services.mailer.previews import PREVIEW_KINDS as PREVIEW_KINDS
from services.mailer.previews import MailPreview as MailPreview
from services.mailer.previews import UnknownPreview as UnknownPreview
from services.mailer.previews import preview_mail as preview_mail
from shared.vocabulary import DIGEST_FREQUENCIES, Frequency


@dataclass(frozen=True, slots=True)
class DayCount:
    """How many mails created on one UTC day are in one status."""

    day: date
    status: str
    count: int


async def mail_counts_per_day(session: AsyncSession, since: datetime) -> list[DayCount]:
    """Count deliveries created since a time, per UTC day and status, newest day first."""
    return [DayCount(*row) for row in await mail_counts.per_day_and_status(session, since)]


@dataclass(frozen=True, slots=True)
class KindCount:
    """How many mails of one kind are in one status."""

    kind: str
    status: str
    count: int


async def mail_counts_per_kind(session: AsyncSession) -> list[KindCount]:
    """Count every delivery in the ledger per kind and status."""
    return [KindCount(*row) for row in await mail_counts.per_kind_and_status(session)]


@dataclass(frozen=True, slots=True)
class BulletinDeliveries:
    """What became of a bulletin's own mails (those owed to a digest travel in the digest)."""

    sent: int = 0
    failed: int = 0
    waiting: int = 0


async def bulletin_deliveries(
    session: AsyncSession, bulletin_ids: list[uuid.UUID], sent_since: datetime
) -> dict[uuid.UUID, BulletinDeliveries]:
    """Count each bulletin's mails in the ledger: delivered, failed for good, still to go.

    ``sent_since`` is no later than the earliest of the bulletins was handed to the mailer.
    """
    keys = {Batch.bulletin(bulletin_id).key: bulletin_id for bulletin_id in bulletin_ids}
    counts: dict[uuid.UUID, dict[str, int]] = {i: {} for i in bulletin_ids}
    for key, status, count in await mail_counts.per_batch_and_status(
        session, sorted(keys), sent_since
    ):
        counts[keys[key]][status] = count
    return {
        bulletin_id: BulletinDeliveries(
            sent=by_status.get(DeliveryStatus.SENT, 0),
            failed=by_status.get(DeliveryStatus.FAILED, 0),
            waiting=sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        )
        for bulletin_id, by_status in counts.items()
    }


class TestMailState(StrEnum):
    """Where one language of an editor's test of a bulletin stands."""

    WAITING = "waiting"  # not sent yet: queued, being sent, or not yet taken from the outbox
    SENT = "sent"
    FAILED = "failed"  # refused for good, or could not be built
    NOT_SENT = "not_sent"  # dropped: the account was disabled or lost its address meanwhile


@dataclass(frozen=True, slots=True)
class TestMail:
    """One language of a bulletin's test: where it stands, and the last error if it has one."""

    language: str
    state: TestMailState
    error: str | None = None
    in_ledger: bool = True  # False: not queued yet, or purged with the ledger's old rows


_TEST_STATES: Final[dict[str, TestMailState]] = {
    DeliveryStatus.QUEUED: TestMailState.WAITING,
    DeliveryStatus.SENDING: TestMailState.WAITING,
    DeliveryStatus.SENT: TestMailState.SENT,
    DeliveryStatus.FAILED: TestMailState.FAILED,
    DeliveryStatus.DROPPED: TestMailState.NOT_SENT,
}


async def bulletin_test_mails(
    session: AsyncSession, requests: Mapping[uuid.UUID, Sequence[str]]
) -> dict[uuid.UUID, list[TestMail]]:
    """Return what became of tests of bulletins (by the id of the event that asked for each,
    with the languages it was written in), one entry per language, in the languages' order."""
    keys = {
        (request, language): bulletin_test_key(request, language)
        for request, languages in requests.items()
        for language in languages
    }
    states = await mail_counts.staff_mail_states(session, sorted(keys.values()))
    found: dict[uuid.UUID, list[TestMail]] = {}
    for (request, language), key in keys.items():
        status, error = states.get(key, (DeliveryStatus.QUEUED, None))
        state = _TEST_STATES.get(status, TestMailState.WAITING)
        mail = TestMail(language, state, error, in_ledger=key in states)
        found.setdefault(request, []).append(mail)
    return found


class MailSeries(StrEnum):
    """The mail chart's series: what became of the mails created on a day."""

    SENT = DeliveryStatus.SENT.value
    QUEUED = DeliveryStatus.QUEUED.value  # still to go, being sent included
    RETRIED = "retried"  # needed more than one try (overlaps the others)
    FAILED = DeliveryStatus.FAILED.value


MAIL_SERIES: Final[tuple[str, ...]] = tuple(MailSeries)
# Where a delivery in each status is counted; dropped ones are in no series.
_SERIES_OF: Final[dict[str, MailSeries]] = {
    DeliveryStatus.SENT: MailSeries.SENT,
    DeliveryStatus.QUEUED: MailSeries.QUEUED,
    DeliveryStatus.SENDING: MailSeries.QUEUED,
    DeliveryStatus.FAILED: MailSeries.FAILED,
}


@dataclass(frozen=True, slots=True)
class MailActivity:
    """Mails created per UTC day: sent, still queued, needing retries, failed for good."""

    days: list[date]
    per_day: dict[str, list[int]]


async def mail_activity_per_day(
    session: AsyncSession, first_day: date, last_day: date
) -> MailActivity:
    """Count mails created on each UTC day of a window by outcome (retried overlaps the rest)."""
    start = datetime.combine(first_day, time.min, tzinfo=UTC)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    per_day: dict[str, list[int]] = {series: [0] * len(days) for series in MAIL_SERIES}
    for day, status, count, with_retries in await mail_counts.per_day_with_retries(
        session, start, end
    ):
        position = index.get(day)
        if position is None:
            continue
        series = _SERIES_OF.get(status)
        if series is not None:
            per_day[series][position] += count
        per_day[MailSeries.RETRIED][position] += with_retries
    return MailActivity(days, per_day)


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When a digest rhythm runs next, and how its last run went."""

    frequency: Frequency
    next_run_at: datetime
    last_key: str | None
    last_status: str | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_deliveries: int | None


async def digest_schedule(
    session: AsyncSession, now: datetime, *, timezone: str, hour: int, weekday: int
) -> list[DigestSchedule]:
    """Return the next run (UTC) of the daily and weekly digests and their latest recorded run."""
    tz = ZoneInfo(timezone)
    schedules = []
    for frequency in DIGEST_FREQUENCIES:
        last = await digest_runs.latest(session, frequency)
        schedules.append(
            DigestSchedule(
                frequency=frequency,
                next_run_at=next_run_after(frequency, now, tz=tz, hour=hour, weekday=weekday),
                last_key=last.key if last else None,
                last_status=last.status if last else None,
                last_started_at=last.started_at if last else None,
                last_finished_at=last.finished_at if last else None,
                last_deliveries=last.deliveries if last else None,
            )
        )
    return schedules


@dataclass(frozen=True, slots=True)
class PublishedChange:
    """A change as a topic's news feed shows it."""

    id: uuid.UUID
    title: str
    url: str
    summary: str
    occurred_at: datetime
    published: date | None
    updated: date | None


async def topic_changes(
    session: AsyncSession, topic: str, limit: int = 50
) -> list[PublishedChange]:
    """Return a topic's newest changes, newest first, as long as the mailer keeps them.

    The mailer keeps a copy of every change it was told about until its retention period ends
    (``VARSEL_DELIVERY_RETENTION_DAYS``), so a feed shows the recent changes, not the whole history.
    Only changes people were told of are shown (not those on the desk, nor minor ones), with the
    note an editor approved in place of the generated summary.
    """
    return [
        PublishedChange(
            id=row.id,
            title=row.title,
            url=row.url,
            summary=shown_text(row.summary, row.note),
            occurred_at=row.occurred_at,
            published=row.published,
            updated=row.updated,
        )
        for row in await changes.latest_for_topic(session, topic, limit)
    ]
