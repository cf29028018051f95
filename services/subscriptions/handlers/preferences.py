"""Commands of the links in mails: read and change preferences, end alerts, erase."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

from services.subscriptions.domain.consent import consent_entry, ending_entry
from services.subscriptions.domain.model import (
    ChangedMeanwhile,
    NoticeNotShown,
    PageShown,
    Preferences,
    ShownChoices,
    Subscriber,
)
from services.subscriptions.domain.preferences import (
    change_preferences,
    changed_elsewhere,
    topics_to_end,
)
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    SubscriberStatus,
    UnsubscribeRoute,
)
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_notice import UnderNotice, in_force, under_notice
from services.subscriptions.unit_of_work import UnitOfWork
from shared.events import (
    PreferencesChanged,
    SubscriberErased,
    SubscriberUnsubscribed,
)
from shared.tokens import Purpose
from shared.vocabulary import Frequency, Language

# A manage token may do what an unsubscribe token does; the JSON API accepts either.
EITHER_LINK: tuple[Purpose, ...] = ("unsubscribe", "manage")


@dataclass(frozen=True, slots=True)
class Ended:
    """What ending alerts did, and the language to say so in."""

    topics: tuple[str, ...]
    language: Language


def _max_age_days(deps: Deps, purpose: Purpose) -> int | None:
    """Return how long a link of this purpose works, in days (None: while its person exists).

    Every mail promises that the alerts can be ended at any time, so the unsubscribe and
    one-click links never expire; they stop only when the person is erased, which ends every
    link. Manage links, which can also change what a person gets, expire.
    """
    return None if purpose == "unsubscribe" else deps.settings.link_ttl_days


def _subjects(deps: Deps, token: str, purposes: tuple[Purpose, ...]) -> list[uuid.UUID]:
    """Return whom a link token names, once for each purpose it is genuine and current for."""
    now = deps.clock.now()
    found = []
    for purpose in purposes:
        claims = deps.signer.verify(
            purpose, token, now=now, max_age_days=_max_age_days(deps, purpose)
        )
        if claims is not None:
            found.append(claims.subject)
    return found


async def _holder(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    purposes: tuple[Purpose, ...],
    *,
    lock: bool = False,
) -> Subscriber | None:
    """Return the confirmed person a link token names, trying each purpose it may carry
    (``lock``: held until the transaction ends, so a second press of the same button waits
    for the first and sees what it did).

    Whatever changes a person's alerts takes this lock before it touches one: a save and an
    erasure that took the person and the alert in opposite orders would each wait for the
    other, and PostgreSQL would abort one of them (the person would read an error page).
    """
    for subject in _subjects(deps, token, purposes):
        person = await uow.subscribers.get(subject, lock=lock)
        if person is not None and person.confirmed:
            return person
    return None


async def erased_holder(
    uow: UnitOfWork, deps: Deps, token: str, purposes: tuple[Purpose, ...]
) -> bool:
    """Tell whether a genuine link names a person who is no longer here (erased).

    Such a link has nothing left to end; the page says so rather than calling the link broken.
    """
    subjects = _subjects(deps, token, purposes)
    if not subjects:
        return False
    async with uow:
        for subject in subjects:
            if await uow.subscribers.get(subject) is not None:
                return False
    return True


async def preferences(
    uow: UnitOfWork, deps: Deps, token: str, purposes: tuple[Purpose, ...] = ("manage",)
) -> Preferences | None:
    """Return the topics, frequency and language of the person a link names; None if invalid."""
    async with uow:
        person = await _holder(uow, deps, token, purposes)
        if person is None:
            return None
        return await _preferences_of(uow, person)


async def _preferences_of(uow: UnitOfWork, person: Subscriber) -> Preferences:
    topics = await uow.subscriptions.open(person.id)
    undeliverable = person.status is SubscriberStatus.DISABLED
    return Preferences(
        person.id, tuple(sorted(topics)), person.frequency, person.language, undeliverable
    )


async def update_preferences(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    *,
    topics: Iterable[str],
    frequency: Frequency,
    language: Language | None = None,
    channel: Channel = Channel.MANAGE_PAGE,
    page: PageShown | None = None,
    listed: Collection[str] | None = None,
    before: ShownChoices | None = None,
) -> Preferences | NoticeNotShown | ChangedMeanwhile | None:
    """Set a person's topics, frequency and language (None: keep theirs) with a manage link.

    Returns what is set now, or None if the link is not valid. An address whose mail bounced
    until its alerts stopped (``undeliverable``) changes nothing: alerts started here would
    never be sent, while the page said they were; a new, confirmed sign-up starts them again.

    ``page``: the page the form was posted from, and the privacy notice it names (None: no
    page, the one in force in the person's language). A change is a consent given under that
    notice, and the ledger names it, as a confirmation names the one its page showed: if the
    form names another than the one in force (changed since the page was opened) or none,
    nothing that gives consent (a topic started, a new frequency) is saved (NoticeNotShown).
    The alerts the person unticked end all the same: a withdrawal is never refused, and is
    recorded as ``ending_notice`` says.

    ``listed``: the topics the page's form listed (None: no page, every topic offered now);
    only those are started or ended (``change_preferences``).

    ``before``: what the page showed the person had (None: no page, or one from before forms
    said). If their alerts or frequency have changed since (a save in another window, an
    ending from a mail's link) and are not already what this form asks for, only the alerts
    the person unticked end; the rest is not saved (ChangedMeanwhile): a stale page must not
    start again what was ended elsewhere, nor end what was started there, unseen.
    """
    ticked = frozenset(topics)
    async with uow:
        person = await _holder(uow, deps, token, ("manage",), lock=True)
        if person is None:
            return None
        if person.status is SubscriberStatus.DISABLED:
            return await _preferences_of(uow, person)
        now = deps.clock.now()
        current = await uow.subscriptions.open(person.id)
        previous_frequency = person.frequency
        change = change_preferences(
            person,
            current,
            topics=ticked,
            known=deps.catalogue.slugs,
            frequency=frequency,
            language=language if language is not None else person.language,
            now=now,
            listed=listed,
        )
        shown = page.shown if page is not None else None
        read_in = shown.language if shown is not None else change.subscriber.language
        notice = deps.notices.current(read_in)
        as_shown = page is None or (shown is not None and shown.version == notice.version)
        under = (
            UnderNotice(notice, read_in)
            if as_shown
            else await under_notice(uow, deps, person, page)
        )
        if before is not None and changed_elsewhere(before, person, current, change):
            withdrawn = (before.following & current & change.scope) - ticked
            await _end(
                uow,
                deps,
                person,
                frozenset(withdrawn),
                route=UnsubscribeRoute.MANAGE_PAGE,
                channel=None if channel is Channel.MANAGE_PAGE else channel,
                under=under,
            )
            meanwhile = ChangedMeanwhile(await _preferences_of(uow, person))
            await uow.commit()
            return meanwhile
        if change.ended:
            await _end(
                uow,
                deps,
                person,
                change.ended,
                route=UnsubscribeRoute.MANAGE_PAGE,
                channel=None if channel is Channel.MANAGE_PAGE else channel,
                under=under,
            )
        kept = change.subscriber
        gives_consent = bool(change.started) or (kept.frequency, kept.language) != (
            person.frequency,
            person.language,
        )
        if change.changed and not as_shown and gives_consent:
            # Only what the person withdrew is kept; the rest waits for the notice in force.
            refused = NoticeNotShown(await _preferences_of(uow, person), notice.version)
            await uow.commit()
            return refused
        await uow.subscriptions.start(person.id, change.started, now)
        person = change.subscriber
        if change.changed:
            await uow.subscribers.save(person)
            if as_shown:  # else topics ended alone: _end recorded it, no consent
                await uow.ledger.append(
                    consent_entry(
                        subject_hash=deps.subject_hash(person.email),
                        action=ConsentAction.PREFERENCES_CHANGED,
                        topics=change.wanted,
                        channel=channel,
                        occurred_at=now,
                        notice=under.notice,
                        frequency=person.frequency,
                        # The language the notice was read in, as a sign-up records the page's.
                        language=under.language,
                        details=under.details,
                    )
                )
            await uow.record(
                PreferencesChanged(
                    subscriber_id=person.id,
                    topics=tuple(sorted(change.following)),
                    frequency=person.frequency,
                    language=Language.of(person.language),
                    previous_frequency=previous_frequency,
                )
            )
        answer = await _preferences_of(uow, person)
        await uow.commit()
    return answer


async def unsubscribe(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    *,
    purposes: tuple[Purpose, ...],
    topics: Iterable[str] | None,
    route: UnsubscribeRoute,
    channel: Channel | None = None,
    page: PageShown | None = None,
) -> Ended | None:
    """End alerts about some topics (None: all) with a link; None if the link is not valid.

    ``page``: the page the button was pressed on, and the notice its form names (None: no
    page, as one-click). Whatever notice it names, the alerts end (``ending_notice``).
    """
    async with uow:
        person = await _holder(uow, deps, token, purposes, lock=True)
        if person is None:
            return None
        current = await uow.subscriptions.open(person.id)
        under = await under_notice(uow, deps, person, page)
        ending = topics_to_end(current, topics)
        ended = await _end(uow, deps, person, ending, route, channel, under=under)
        await uow.commit()
    return Ended(ended, person.language)


async def erase(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    *,
    purposes: tuple[Purpose, ...],
    route: UnsubscribeRoute,
    channel: Channel | None = None,
    page: PageShown | None = None,
) -> Ended | None:
    """End every alert and delete the address with a link; None if the link is not valid.

    ``page`` as for ``unsubscribe``: whatever notice it names, the address is erased.
    """
    async with uow:
        person = await _holder(uow, deps, token, purposes, lock=True)
        if person is None:
            return None
        under = await under_notice(uow, deps, person, page)
        ended = await erase_person(uow, deps, person, route, channel, under=under)
        if ended is None:
            return None  # erased a moment ago by the same link (a double click)
        await uow.commit()
    return Ended(ended, person.language)


async def erase_person(
    uow: UnitOfWork,
    deps: Deps,
    person: Subscriber,
    route: UnsubscribeRoute,
    channel: Channel | None,
    details: dict[str, Any] | None = None,
    *,
    under: UnderNotice | None = None,
) -> tuple[str, ...] | None:
    """End every alert, delete the person, record the erasure; return the topics that ended.

    The caller holds the person's row (``lock=True``), taken before any alert is touched.
    None if another request erased them first: then nothing was ended or recorded here.
    ``under``: the notice and language of the page the person erased on (None: no page, the
    one in force in their own language).
    """
    under = under or in_force(deps, person)
    current = await uow.subscriptions.open(person.id)
    ended = await _end(uow, deps, person, frozenset(current), route, channel, details, under=under)
    if not await uow.subscribers.remove(person.id):
        return None
    await uow.ledger.append(
        ending_entry(
            subject_hash=deps.subject_hash(person.email),
            action=ConsentAction.ERASED,
            topics=(),
            route=route,
            channel=channel,
            occurred_at=deps.clock.now(),
            language=under.language,
            notice=under.notice,
            details=_with(details, under),
        )
    )
    await uow.record(SubscriberErased(subscriber_id=person.id))
    return ended


def _with(details: dict[str, Any] | None, under: UnderNotice) -> dict[str, Any]:
    """Return a step's details with what the notice it is recorded under adds (``ending_entry``
    records none if both are empty)."""
    return {**(details or {}), **(under.details or {})}


async def end_all(
    uow: UnitOfWork,
    deps: Deps,
    person: Subscriber,
    route: UnsubscribeRoute,
    details: dict[str, Any] | None = None,
) -> tuple[str, ...]:
    """End every alert a person gets; return the topics that ended."""
    current = await uow.subscriptions.open(person.id)
    return await _end(uow, deps, person, frozenset(current), route, None, details)


async def _end(
    uow: UnitOfWork,
    deps: Deps,
    person: Subscriber,
    ending: frozenset[str],
    route: UnsubscribeRoute,
    channel: Channel | None,
    details: dict[str, Any] | None = None,
    *,
    under: UnderNotice | None = None,
) -> tuple[str, ...]:
    """End the alerts about ``ending`` that are still open; return the topics ended, sorted.

    The caller holds the person's row, so no other request changes their alerts meanwhile.
    The ledger names ``under``, the notice and language of the page the person ended them on
    (None: no page, the one in force in their own language), as it names the one a sign-up
    showed.
    """
    if not ending:
        return ()
    under = under or in_force(deps, person)
    now = deps.clock.now()
    # Only what this request ended is recorded: the same button pressed twice at once ends
    # (and records, and announces) each alert once.
    ending = await uow.subscriptions.end(person.id, ending, now, route)
    if not ending:
        return ()
    await uow.ledger.append(
        ending_entry(
            subject_hash=deps.subject_hash(person.email),
            action=ConsentAction.UNSUBSCRIBED,
            topics=ending,
            route=route,
            channel=channel,
            occurred_at=now,
            frequency=person.frequency,
            language=under.language,
            notice=under.notice,
            details=_with(details, under),
        )
    )
    ended = tuple(sorted(ending))
    # Whether anything is still open is read after the update, not taken from what was open before:
    # the mailer forgets the person's digest and queued mails only on an event that says all
    # ended, and the request that ends the last alert must say so, whoever ended the others.
    remaining = await uow.subscriptions.open(person.id)
    await uow.record(
        SubscriberUnsubscribed(
            subscriber_id=person.id,
            topics=ended,
            all_topics=not remaining,
            # The event's contract spells the routes as a Literal; the values are the same
            # words (tests/unit/subscriptions checks they stay so).
            route=cast(Any, route),
        )
    )
    return ended
