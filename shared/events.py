"""The public contract between the services: versioned, frozen, past-tense events.

No event ever carries an email address; people are referred to by subscriber id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from shared.vocabulary import ChangeProducer, Frequency, Language, SourceKind


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Something that happened; ``type`` names its contract, e.g. ``content.changed.v1``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    version: ClassVar[int]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=_now)

    @classmethod
    def type_name(cls) -> str:
        """Return the versioned contract name."""
        return f"{cls.name}.v{cls.version}"


class ContentChanged(Event):
    """A source changed: the watcher saw it, or a publisher (a CMS) pushed it.

    A pushed change names its watched source when its address is one (``source_id``), else
    none; ``note`` is the publisher's change note (also the ``summary`` a mail shows), and a
    ``minor`` change is recorded but alerts nobody. The three are optional, so v1 still holds.
    """

    name: ClassVar[str] = "content.changed"
    version: ClassVar[int] = 1

    source_id: int | None
    source_url: str
    kind: SourceKind
    topics: tuple[str, ...]
    title: str
    url: str
    published: date | None = None
    updated: date | None = None
    summary: str
    diff_url: str | None = None
    # Said by the publisher (the CMS's change note): mails show it instead of the summary.
    note: str | None = Field(default=None, max_length=5000)
    # A change the publisher calls minor (a typo fixed) is recorded and alerts nobody.
    minor: bool = False
    # Who told varsel: its own poll, or a publisher pushing through the publisher API.
    producer: ChangeProducer = ChangeProducer.WATCHER

    @model_serializer(mode="wrap")
    def _leave_out_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A change without a note, a minor flag or another producer than the watcher is written
        # as before these fields existed, so a consumer of the previous release (extra="forbid")
        # still reads it while replicas are upgraded one by one.
        data = handler(self)
        if isinstance(data, dict):
            if data.get("note") is None:
                data.pop("note", None)
            if data.get("minor") is False:
                data.pop("minor", None)
            if data.get("producer") == ChangeProducer.WATCHER:
                data.pop("producer", None)
        return data


class ChangeApproved(Event):
    """An editor approved a change held for review; the mailer now tells its topics' followers.

    Mailer to mailer (docs/decisions/0014): the decision commits with this event, and the
    fan-out runs in the mailer's consumer, so the editor's request does not wait for it.
    """

    name: ClassVar[str] = "change.approved"
    version: ClassVar[int] = 1

    change_id: UUID
    topics: tuple[str, ...] = Field(min_length=1)


class _SourceStatus(Event):
    """What operators are told about a watched source whose health changed."""

    source_id: int
    source_url: str
    title: str
    failures: int = Field(ge=1)
    last_error: str


class SourceFailing(_SourceStatus):
    """A watched source failed the configured number of polls in a row; operators are told once."""

    name: ClassVar[str] = "source.failing"
    version: ClassVar[int] = 1


class SourceRecovered(_SourceStatus):
    """A source that was failing answered with usable content again; operators are told once."""

    name: ClassVar[str] = "source.recovered"
    version: ClassVar[int] = 1


class PageRemoved(Event):
    """An editor confirmed that a watched page is gone (it answered only 404 or 410 for days).

    Its followers get one notice, naming where the page led before, if it redirected.
    """

    name: ClassVar[str] = "page.removed"
    version: ClassVar[int] = 1

    source_id: int
    source_url: str
    title: str
    topics: tuple[str, ...]
    # Since when every answer was 404 or 410: with the source, it names this disappearance.
    missing_since: datetime
    moved_to: str | None = None


class SignupRequested(Event):
    """Someone asked for alerts; a confirmation mail must go out (double opt-in)."""

    name: ClassVar[str] = "subscriber.signup_requested"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    request_id: UUID


class ManageLinkRequested(Event):
    """Someone asked for a fresh link to manage their alerts."""

    name: ClassVar[str] = "subscriber.manage_link_requested"
    version: ClassVar[int] = 1

    subscriber_id: UUID


class SubscriberConfirmed(Event):
    """A person confirmed; from now on they get alerts about these topics."""

    name: ClassVar[str] = "subscriber.confirmed"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language


class PreferencesChanged(Event):
    """A person changed their topics, frequency or language."""

    name: ClassVar[str] = "subscriber.preferences_changed"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language
    # The frequency before this change: the mailer's digests start after the alerts a person
    # switching from immediate was sent (docs/decisions/0016). Absent in older events.
    previous_frequency: Frequency | None = None

    @model_serializer(mode="wrap")
    def _leave_out_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Written as before the field existed when it says nothing, so a consumer of the
        # previous release (extra="forbid") still reads it while replicas are upgraded.
        data = handler(self)
        if isinstance(data, dict) and data.get("previous_frequency") is None:
            data.pop("previous_frequency", None)
        return data


class SubscriberUnsubscribed(Event):
    """A person ended some or all of their alerts."""

    name: ClassVar[str] = "subscriber.unsubscribed"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    topics: tuple[str, ...]
    all_topics: bool
    route: Literal["link", "one-click", "manage-page", "bounce", "admin", "complaint"]


class SubscriberErased(Event):
    """A person's address was deleted; drop everything queued for them."""

    name: ClassVar[str] = "subscriber.erased"
    version: ClassVar[int] = 1

    subscriber_id: UUID


DeliveryKindName = Literal[
    "confirm", "manage_link", "alert", "digest", "topic_ended", "page_removed", "bulletin"
]
# How a report reached varsel: the inbound SMTP listener or a provider's webhook.
ReportChannel = Literal["smtp", "webhook"]


class SubscriberBounced(Event):
    """A mail to a subscriber was refused for good (SMTP 5xx); carries no address or reply text."""

    name: ClassVar[str] = "subscriber.bounced"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    delivery_id: int
    kind: DeliveryKindName
    smtp_code: int = Field(ge=500, le=599)


class SubscriberBounceReported(Event):
    """A mail accepted by a relay came back undeliverable for good (an RFC 3464 report, 5.x.x).

    Counts toward disabling the address as ``subscriber.bounced`` does; carries no address, no
    reply text, only the RFC 3463 status.
    """

    name: ClassVar[str] = "subscriber.bounce_reported"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    delivery_id: int
    kind: DeliveryKindName
    status: str = Field(pattern=r"^5\.\d{1,3}\.\d{1,3}$")
    channel: ReportChannel


class SubscriberComplained(Event):
    """The person's mailbox provider reported a mail as unwanted (an ARF report, RFC 5965).

    A withdrawal: the subscriptions service ends every alert and records it as a complaint.
    """

    name: ClassVar[str] = "subscriber.complained"
    version: ClassVar[int] = 1

    subscriber_id: UUID
    delivery_id: int
    kind: DeliveryKindName
    feedback_type: Literal["abuse", "fraud", "virus", "other"]
    channel: ReportChannel


class RetentionApplied(Event):
    """A service deleted what its retention periods let go: how many rows of what, never which."""

    name: ClassVar[str] = "retention.applied"
    version: ClassVar[int] = 1

    service: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    # What kind of record (e.g. "snapshots", "unconfirmed_signups") and how many rows went.
    removed: dict[str, int]
    trigger: Literal["schedule", "command"]
    # "system" for the schedule; "cli:<user>" for a command someone ran on the server.
    actor: str = Field(min_length=1, max_length=100)


class CatalogueChanged(Event):
    """The catalogue of topics and sources changed; replicas read it again (ADR 0011)."""

    name: ClassVar[str] = "catalogue.changed"
    version: ClassVar[int] = 1

    # The catalogue's version after the change; a replica that has read it need do nothing.
    catalogue_version: int = Field(ge=1)
    # Slugs of topics and URLs of sources, by what happened to them.
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    # Slugs of the topics that ended with this change: their followers get one last mail.
    ended_topics: tuple[str, ...] = ()
    # "cli:<user>", an admin account's name, or "system" for VARSEL_CONFIG applied at start.
    actor: str = Field(min_length=1, max_length=100)


# A bulletin's subject and body (Markdown) per language; nb and en are required, nn falls back
# to nb. Limits keep one event well inside a broker message and one mail readable.
BULLETIN_SUBJECT_MAX = 200
BULLETIN_BODY_MAX = 20_000
BULLETIN_LANGUAGES = (Language.NB, Language.EN)  # the languages every bulletin is written in


class BulletinText(BaseModel):
    """A bulletin's words in one language: a one-line subject and a Markdown body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(min_length=1, max_length=BULLETIN_SUBJECT_MAX, pattern=r"^[^\r\n]+$")
    body: str = Field(min_length=1, max_length=BULLETIN_BODY_MAX)


class _Bulletin(Event):
    bulletin_id: UUID
    topics: tuple[str, ...] = Field(min_length=1)
    # Keyed by language; must hold nb and en (checked by the producer and the mailer).
    texts: dict[Language, BulletinText]
    # "Now to everyone": every follower of the topics gets it at once, whatever their rhythm.
    urgent: bool
    actor: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _nb_and_en(self) -> _Bulletin:
        missing = [lang.value for lang in BULLETIN_LANGUAGES if lang not in self.texts]
        if missing:
            raise ValueError(f"a bulletin needs a text in {', '.join(missing)}")
        return self


class BulletinPublished(_Bulletin):
    """An editor sent a one-off message to the followers of topics; it carries no address."""

    name: ClassVar[str] = "bulletin.published"
    version: ClassVar[int] = 1


class BulletinTestRequested(_Bulletin):
    """An editor asked for a test send of a bulletin to their own account's address.

    The address is not in the event: the mailer reads it through the admin's read_api.
    """

    name: ClassVar[str] = "bulletin.test_requested"
    version: ClassVar[int] = 1

    staff_user_id: int = Field(ge=1)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name(): cls
    for cls in (
        ContentChanged,
        ChangeApproved,
        SourceFailing,
        SourceRecovered,
        PageRemoved,
        SignupRequested,
        ManageLinkRequested,
        SubscriberConfirmed,
        PreferencesChanged,
        SubscriberUnsubscribed,
        SubscriberErased,
        SubscriberBounced,
        SubscriberBounceReported,
        SubscriberComplained,
        RetentionApplied,
        CatalogueChanged,
        BulletinPublished,
        BulletinTestRequested,
    )
}


def decode_event(type_name: str, payload: dict[str, Any] | str | bytes) -> Event:
    """Rebuild an event from its contract name and JSON payload."""
    try:
        cls = EVENT_TYPES[type_name]
    except KeyError as exc:
        raise ValueError(f"unknown event type {type_name!r}") from exc
    if isinstance(payload, str | bytes):
        return cls.model_validate_json(payload)
    return cls.model_validate(payload)
