"""The rules of changing and ending alerts, free of storage."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Set
from dataclasses import dataclass, replace
from datetime import datetime

from services.subscriptions.domain.model import ShownChoices, Subscriber
from services.subscriptions.domain.vocabulary import SubscriberStatus
from shared.vocabulary import Frequency, Language


def topics_to_end(open_topics: Set[str], topics: Iterable[str] | None) -> frozenset[str]:
    """Return which of a person's open topics an unsubscribe ends (``None``: all of them)."""
    if topics is None:
        return frozenset(open_topics)
    return frozenset(open_topics & set(topics))


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    """What saving the manage form does."""

    wanted: frozenset[str]
    ended: frozenset[str]
    started: tuple[str, ...]
    subscriber: Subscriber
    changed: bool
    # Every topic followed after the change: those wanted, and those the form did not change
    # (not listed, or no longer offered) that stay as they were.
    following: frozenset[str]
    # The topics the form could change: those its page listed (or every topic offered).
    scope: frozenset[str] = frozenset()


def change_preferences(
    subscriber: Subscriber,
    open_topics: Set[str],
    *,
    topics: Iterable[str],
    known: Collection[str],
    frequency: Frequency,
    language: Language,
    now: datetime,
    listed: Collection[str] | None = None,
) -> PreferenceChange:
    """Return the change that sets a person's topics (those offered), frequency and language.

    ``listed``: the topics the form's page listed (None: no page, every topic offered now).
    Only those are changed: a topic the page did not list is neither started nor ended, so an
    ended topic brought back after the page was shown keeps the alert its end left open, and a
    topic added since cannot be started. A listed topic left unticked ends even if it has ended
    since the page was shown: the person withdrew from it, and must not get it if it comes back.

    Topics no longer offered are dropped from the wish, so an old form cannot start them, and
    those not listed are not ended either: the form never offered them, so leaving them
    unticked is no withdrawal. Their rows stay open as a topic's end leaves them (for its last
    mail, and for the topic if it is brought back).
    """
    scope = frozenset(known if listed is None else listed)
    wanted = frozenset(t for t in topics if t in known and t in scope)
    ended = frozenset(open_topics & scope) - wanted
    started = wanted - open_topics
    changed = (
        bool(ended or started)
        or frequency != subscriber.frequency
        or language != subscriber.language
    )
    return PreferenceChange(
        wanted=wanted,
        ended=ended,
        started=tuple(sorted(started)),
        subscriber=replace(
            subscriber,
            frequency=frequency,
            language=language,
            frequency_since=subscriber.frequency_since_at(frequency, now),
        ),
        changed=changed,
        following=wanted | (open_topics - ended),
        scope=scope,
    )


def changed_elsewhere(
    before: ShownChoices, subscriber: Subscriber, open_topics: Set[str], change: PreferenceChange
) -> bool:
    """Tell whether a person's listed alerts or frequency differ both from what the form's
    page showed (``before``) and from what the form asks for: changed elsewhere since (another
    window, a mail's link), not by a second press of the same form, which finds them as it
    asked."""
    now = (frozenset(open_topics & change.scope), subscriber.frequency)
    shown = (before.following & change.scope, before.frequency)
    asked = (change.wanted, change.subscriber.frequency)
    return now not in (shown, asked)


@dataclass(frozen=True, slots=True)
class Bounced:
    """A person after one more hard bounce, and whether that stops their alerts."""

    subscriber: Subscriber
    disable: bool


def bounced(subscriber: Subscriber, *, limit: int) -> Bounced:
    """Count a hard bounce; at ``limit`` the address is refusing mail and alerts stop."""
    counted = replace(subscriber, hard_bounces=subscriber.hard_bounces + 1)
    if counted.hard_bounces < limit:
        return Bounced(counted, disable=False)
    return Bounced(replace(counted, status=SubscriberStatus.DISABLED), disable=True)
