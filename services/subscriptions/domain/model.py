"""The values the subscriptions rules work on: a person, a pending sign-up, a consent step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.subscriptions.domain.vocabulary import Channel, ConsentAction, SubscriberStatus
from shared.vocabulary import Frequency, Language


@dataclass(frozen=True, slots=True)
class SignupForm:
    """A validated sign-up."""

    address: str
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language
    page: str | None
    channel: Channel = Channel.WEB


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One person: the only place their address lives."""

    id: uuid.UUID
    email: str
    language: Language
    frequency: Frequency
    status: SubscriberStatus
    created_at: datetime
    confirmed_at: datetime | None
    hard_bounces: int = 0
    # When their mail last became alerts at once or digests (docs/decisions/0016, point 7).
    frequency_since: datetime | None = None

    @property
    def confirmed(self) -> bool:
        """Tell whether the person ever confirmed (double opt-in), whatever their status now."""
        return self.confirmed_at is not None

    def frequency_since_at(self, frequency: Frequency, now: datetime) -> datetime | None:
        """Return since when the person's mail is of its kind once they take ``frequency``.

        A confirmation or a move between alerts at once and digests starts anew; daily and
        weekly are one kind, since a digest of either tells what the other did not yet
        (docs/decisions/0016, point 7).
        """
        if self.status is not SubscriberStatus.ACTIVE:
            return now
        return self.frequency_since if frequency.is_digest == self.frequency.is_digest else now


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """A sign-up waiting for its confirmation; every confirmation mail names one.

    A request never changes after it is made, except to be marked confirmed: its mail listed
    exactly these topics, this frequency and this language, and its link confirms only them.
    """

    id: uuid.UUID
    subscriber_id: uuid.UUID
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language
    page: str | None
    privacy_version: str
    created_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None = None

    def open_at(self, now: datetime) -> bool:
        """Tell whether the request can still be confirmed at ``now``."""
        return self.confirmed_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One step in a person's consent history: who, what, which notice, when, where and how."""

    subject_hash: str
    action: ConsentAction
    topics: tuple[str, ...]
    frequency: Frequency | None
    language: Language | None
    privacy_version: str
    privacy_hash: str
    page: str | None
    channel: Channel
    token_id: str | None
    occurred_at: datetime
    details: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a person gets alerts about, how often, and in which language.

    ``undeliverable``: mail to the address bounced until its alerts were stopped. Nothing is
    sent to it, so no alert can be started for it either, until the person confirms a new
    sign-up from their mailbox (the proof that mail arrives again).
    """

    subscriber_id: uuid.UUID
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language
    undeliverable: bool = False


@dataclass(frozen=True, slots=True)
class ShownNotice:
    """The privacy notice a page showed: its version, in the page's language."""

    version: str
    language: Language


@dataclass(frozen=True, slots=True)
class PageShown:
    """A page a person pressed a button on (manage, unsubscribe), and the privacy notice its
    form says it showed (None: it names none, as a page opened before forms named one)."""

    shown: ShownNotice | None


@dataclass(frozen=True, slots=True)
class ShownChoices:
    """What a manage page showed the person had when it was rendered: the listed topics they
    followed, and their frequency (the form carries them back)."""

    following: frozenset[str]
    frequency: Frequency


@dataclass(frozen=True, slots=True)
class ChangedMeanwhile:
    """Only the withdrawals were saved: the person's alerts were changed elsewhere (another
    window, a link in a mail) after the page was rendered, so the rest waits for a page that
    shows them as they are. ``preferences`` are the person's now."""

    preferences: Preferences


@dataclass(frozen=True, slots=True)
class NoticeNotShown:
    """Nothing was saved: the page showed another privacy notice than the one in force now.

    ``preferences`` are the person's, unchanged; ``notice_version`` is the one in force.
    """

    preferences: Preferences
    notice_version: str
