"""The delivery ledger's words: what a mail is, where it stands, and what it refers to.

Each is declared once, here. The enums are string enums, so they compare equal to the text the
ledger stores; a reference is a typed value per kind of mail, and ``encode_reference`` and
``decode_reference`` are the one place its stored form (a JSON object of strings) is spelled.
``Batch`` spells the ledger's idempotency keys: one mail per (subscriber, batch).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

from services.mailer.domain.periods import Period
from shared.events import BulletinTestRequested, PageRemoved, SourceFailing, SourceRecovered
from shared.vocabulary import Frequency


class DeliveryKind(StrEnum):
    """What a delivery is: the mail it becomes."""

    CONFIRM = "confirm"  # the double opt-in mail
    MANAGE_LINK = "manage_link"  # a fresh link to the manage page, which the person asked for
    ALERT = "alert"  # one change, straight away
    DIGEST = "digest"  # a daily or weekly summary of the changes a person is owed
    TOPIC_ENDED = "topic_ended"  # the last mail of a topic that ended, and what to follow instead
    PAGE_REMOVED = "page_removed"  # a watched page is gone (an editor confirmed it)
    BULLETIN = "bulletin"  # an editor's one-off message to the followers of topics
    # Staff notices: to an operator or an editor, not a subscriber (no subscriber id).
    OPERATOR_NOTICE = "operator_notice"  # a watched source fails, or works again
    REVIEW_REMINDER = "review_reminder"  # a change has waited too long on the editor's desk
    BULLETIN_TEST = "bulletin_test"  # an editor's test of a bulletin, to their own address


# Mails to staff, whom the ledger names only in the reference (docs/decisions/0020).
STAFF_KINDS: Final = frozenset(
    {DeliveryKind.OPERATOR_NOTICE, DeliveryKind.REVIEW_REMINDER, DeliveryKind.BULLETIN_TEST}
)


class DeliveryStatus(StrEnum):
    """Where a delivery stands in the ledger."""

    QUEUED = "queued"  # due at next_attempt_at
    SENDING = "sending"  # leased by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # refused for good, or could not be built
    DROPPED = "dropped"  # no longer wanted (erased, unsubscribed, rhythm changed)


# A worker may still send these; the others are finished and only kept for the counts.
OPEN_STATUSES: Final = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
FINISHED_STATUSES: Final = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DROPPED)


class DigestRunStatus(StrEnum):
    """Where one period's digest run stands; a run that dies stays running and is resumed."""

    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ConfirmReference:
    """The sign-up request a confirmation mail confirms."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.CONFIRM
    request_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ManageLinkReference:
    """A manage-link mail refers to nothing but its person."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.MANAGE_LINK


@dataclass(frozen=True, slots=True)
class AlertReference:
    """The change an alert is about."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.ALERT
    change_id: uuid.UUID
    # The same page's earlier changes it tells too, newest first: what waited for a digest is
    # handed to someone now alerted at once as one mail per page (docs/decisions/0016, 7).
    earlier: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestReference:
    """The period a digest covers and its window of the release log ``(after, through]``; its
    other contents are the pending items attached to it (docs/decisions/0016)."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.DIGEST
    frequency: Frequency
    start: datetime
    end: datetime
    after: int | None = None  # None: a digest queued before the release log existed
    through: int | None = None

    @classmethod
    def of(cls, period: Period) -> DigestReference:
        """Return the reference to a digest period."""
        return cls(period.frequency, period.start, period.end)

    def window(self, after: int, through: int) -> DigestReference:
        """Return the reference telling the release log's ``(after, through]``."""
        return DigestReference(self.frequency, self.start, self.end, after, through)

    @property
    def told(self) -> tuple[int, int] | None:
        """Return the window ``(after, through]`` it tells, or None if it tells none."""
        if self.after is None or self.through is None:
            return None
        return (self.after, self.through)

    def period(self, tz: ZoneInfo) -> Period:
        """Return the period, shown in ``tz``."""
        return Period(frequency=self.frequency, start=self.start, end=self.end, tz=tz)


@dataclass(frozen=True, slots=True)
class TopicEndedReference:
    """The topic that ended (its words are read from the catalogue when the mail is built)."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.TOPIC_ENDED
    slug: str


@dataclass(frozen=True, slots=True)
class PageRemovedReference:
    """The page that is gone, as the event told it (the source row may change after)."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.PAGE_REMOVED
    url: str
    title: str
    topics: tuple[str, ...]
    moved_to: str | None


@dataclass(frozen=True, slots=True)
class BulletinReference:
    """The bulletin a mail carries (its words are the mailer's copy, ``mail_bulletins``)."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.BULLETIN
    bulletin_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OperatorNoticeReference:
    """A source's failing or recovery, for the ``index``-th address of VARSEL_OPERATOR_EMAILS
    (read from the settings when the mail is built: the ledger keeps no address)."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.OPERATOR_NOTICE
    event_id: uuid.UUID
    index: int
    failing: bool
    source_url: str
    title: str
    failures: int
    last_error: str


@dataclass(frozen=True, slots=True)
class ReviewReminderReference:
    """The change on the desk an editor (a staff account, by id) is reminded of."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.REVIEW_REMINDER
    change_id: uuid.UUID
    user_id: int


@dataclass(frozen=True, slots=True)
class BulletinTestReference:
    """One language of a bulletin's test, for the staff account (by id) that asked for it; the
    draft's words are kept here, as a bulletin not sent is stored nowhere else."""

    kind: ClassVar[DeliveryKind] = DeliveryKind.BULLETIN_TEST
    request_id: uuid.UUID  # the event that asked for it
    index: int  # the language's place among the test's, as its Message-ID has it
    user_id: int
    language: str
    subject: str
    body: str
    topics: tuple[str, ...]


Reference = (
    ConfirmReference
    | ManageLinkReference
    | AlertReference
    | DigestReference
    | TopicEndedReference
    | PageRemovedReference
    | BulletinReference
    | OperatorNoticeReference
    | ReviewReminderReference
    | BulletinTestReference
)


def encode_reference(reference: Reference) -> dict[str, str]:
    """Return the stored form of a reference."""
    match reference:
        case ConfirmReference(request_id=request_id):
            return {"request_id": str(request_id)}
        case ManageLinkReference():
            return {}
        case AlertReference(change_id=change_id, earlier=earlier):
            told = {"earlier": " ".join(str(e) for e in earlier)} if earlier else {}
            return {"change_id": str(change_id)} | told
        case DigestReference(frequency=frequency, start=start, end=end, after=after, through=t):
            stored = {"frequency": frequency, "start": start.isoformat(), "end": end.isoformat()}
            if after is not None and t is not None:
                stored |= {"after": str(after), "through": str(t)}
            return stored
        case TopicEndedReference(slug=slug):
            return {"slug": slug}
        case PageRemovedReference(url=url, title=title, topics=topics, moved_to=moved_to):
            return {
                "url": url,
                "title": title,
                "topics": " ".join(topics),
                "moved_to": moved_to or "",
            }
        case BulletinReference(bulletin_id=bulletin_id):
            return {"bulletin_id": str(bulletin_id)}
        case OperatorNoticeReference() as notice:
            return {
                "event_id": str(notice.event_id),
                "index": str(notice.index),
                "state": "failing" if notice.failing else "recovered",
                "source_url": notice.source_url,
                "title": notice.title,
                "failures": str(notice.failures),
                "last_error": notice.last_error,
            }
        case ReviewReminderReference(change_id=change_id, user_id=user_id):
            return {"change_id": str(change_id), "user_id": str(user_id)}
        case BulletinTestReference() as t:
            numbers = {"request_id": str(t.request_id), "index": str(t.index)}
            words = {"language": t.language, "subject": t.subject, "body": t.body}
            return numbers | words | {"user_id": str(t.user_id), "topics": " ".join(t.topics)}


_DECODERS: Final[dict[DeliveryKind, Callable[[Mapping[str, Any]], Reference]]] = {
    DeliveryKind.CONFIRM: lambda v: ConfirmReference(uuid.UUID(v["request_id"])),
    DeliveryKind.MANAGE_LINK: lambda v: ManageLinkReference(),
    DeliveryKind.ALERT: lambda v: AlertReference(
        uuid.UUID(v["change_id"]), tuple(uuid.UUID(e) for e in v.get("earlier", "").split())
    ),
    DeliveryKind.DIGEST: lambda v: DigestReference(
        Frequency(v["frequency"]),
        datetime.fromisoformat(v["start"]),
        datetime.fromisoformat(v["end"]),
        int(v["after"]) if "after" in v else None,
        int(v["through"]) if "through" in v else None,
    ),
    DeliveryKind.TOPIC_ENDED: lambda v: TopicEndedReference(v["slug"]),
    DeliveryKind.PAGE_REMOVED: lambda v: PageRemovedReference(
        v["url"], v["title"], tuple(v["topics"].split()), v["moved_to"] or None
    ),
    DeliveryKind.BULLETIN: lambda v: BulletinReference(uuid.UUID(v["bulletin_id"])),
    DeliveryKind.OPERATOR_NOTICE: lambda v: OperatorNoticeReference(
        uuid.UUID(v["event_id"]),
        int(v["index"]),
        {"failing": True, "recovered": False}[v["state"]],
        v["source_url"],
        v["title"],
        int(v["failures"]),
        v["last_error"],
    ),
    DeliveryKind.REVIEW_REMINDER: lambda v: ReviewReminderReference(
        uuid.UUID(v["change_id"]), int(v["user_id"])
    ),
    DeliveryKind.BULLETIN_TEST: lambda v: BulletinTestReference(
        uuid.UUID(v["request_id"]),
        int(v["index"]),
        int(v["user_id"]),
        v["language"],
        v["subject"],
        v["body"],
        tuple(v["topics"].split()),
    ),
}


def decode_reference(kind: str, stored: Mapping[str, Any]) -> Reference:
    """Rebuild the reference of a delivery of ``kind``; ValueError if the row is not one."""
    try:
        return _DECODERS[DeliveryKind(kind)](stored)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a {kind!r} delivery reference: {exc}") from None


@dataclass(frozen=True, slots=True)
class Batch:
    """One mail's content for any number of people: the ledger holds one per (subscriber, key)."""

    key: str
    reference: Reference

    @property
    def kind(self) -> DeliveryKind:
        """Return what the mail is."""
        return self.reference.kind

    @classmethod
    def confirm(cls, request_id: uuid.UUID, event_id: uuid.UUID) -> Batch:
        """Return the confirmation a sign-up asked for (a new request event, a new mail)."""
        return cls(f"confirm:{request_id}:{event_id}", ConfirmReference(request_id))

    @classmethod
    def manage_link(cls, event_id: uuid.UUID) -> Batch:
        """Return the manage-link mail one request asked for."""
        return cls(f"manage:{event_id}", ManageLinkReference())

    @classmethod
    def alert(cls, change_id: uuid.UUID, earlier: tuple[uuid.UUID, ...] = ()) -> Batch:
        """Return the alert about one change (and ``earlier`` ones of its page): whatever
        queues it, a person gets it once."""
        return cls(f"change:{change_id}", AlertReference(change_id, earlier))

    @classmethod
    def digest(cls, period: Period, key: str | None = None) -> Batch:
        """Return the digest of one period: a person gets one per period (by its key, or by
        the key its run was recorded under)."""
        return cls(key or period.key, DigestReference.of(period))

    @classmethod
    def topic_ended(cls, slug: str) -> Batch:
        """Return a topic's last mail: a person gets it once, however often the topic ends."""
        return cls(f"ended:{slug}", TopicEndedReference(slug))

    @classmethod
    def page_removed(cls, event: PageRemoved) -> Batch:
        """Return the notice that a page is gone: once per person for each disappearance."""
        reference = PageRemovedReference(
            event.source_url, event.title, event.topics, event.moved_to
        )
        return cls(f"removed:{event.source_id}:{event.missing_since.isoformat()}", reference)

    @classmethod
    def bulletin(cls, bulletin_id: uuid.UUID) -> Batch:
        """Return a bulletin's mail: one per person, however many of its topics they follow."""
        return cls(f"bulletin:{bulletin_id}", BulletinReference(bulletin_id))

    @classmethod
    def operator_notice(cls, event: SourceFailing | SourceRecovered, index: int) -> Batch:
        """Return the notice of a source's failing or recovery to the ``index``-th operator."""
        reference = OperatorNoticeReference(
            event.event_id,
            index,
            isinstance(event, SourceFailing),
            event.source_url,
            event.title,
            event.failures,
            event.last_error,
        )
        return cls(f"operator:{event.event_id}:{index}", reference)

    @classmethod
    def review_reminder(cls, change_id: uuid.UUID, user_id: int) -> Batch:
        """Return an editor's one reminder of a change waiting on the desk."""
        return cls(f"reminder:{change_id}:{user_id}", ReviewReminderReference(change_id, user_id))

    @classmethod
    def bulletin_tests(cls, event: BulletinTestRequested) -> list[Batch]:
        """Return a test's mails, one per language it is written in (sorted, as the
        Message-IDs number them)."""
        texts = sorted((str(language), text) for language, text in event.texts.items())
        return [
            cls(
                bulletin_test_key(event.event_id, lang),
                BulletinTestReference(
                    event.event_id, i, event.staff_user_id, lang, t.subject, t.body, event.topics
                ),
            )
            for i, (lang, t) in enumerate(texts)
        ]


def bulletin_test_key(request_id: uuid.UUID, language: str) -> str:
    """Return the batch key of one language of a bulletin's test."""
    return f"test:{request_id}:{language}"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process has leased until ``lease_until``."""

    id: int
    subscriber_id: uuid.UUID | None
    batch_key: str
    reference: Reference
    attempts: int
    lease_until: datetime

    @property
    def kind(self) -> DeliveryKind:
        """Return what the mail is."""
        return self.reference.kind
