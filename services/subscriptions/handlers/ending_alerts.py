"""Commands that end alerts: with a link (some topics, or all and the address erased), or for
the service (a returned mail, an organisation's request)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from services.subscriptions.domain.consent import ending_entry
from services.subscriptions.domain.model import PageShown, Subscriber
from services.subscriptions.domain.preferences import topics_to_end
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, UnsubscribeRoute
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_notice import UnderNotice, in_force, under_notice
from services.subscriptions.handlers.link_holders import link_holder
from services.subscriptions.unit_of_work import UnitOfWork
from shared.events import SubscriberErased, SubscriberUnsubscribed
from shared.tokens import Purpose
from shared.vocabulary import Language


@dataclass(frozen=True, slots=True)
class Ended:
    """What ending alerts did, and the language to say so in."""

    topics: tuple[str, ...]
    language: Language


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
        person = await link_holder(uow, deps, token, purposes, lock=True)
        if person is None:
            return None
        current = await uow.subscriptions.open(person.id)
        under = await under_notice(uow, deps, person, page)
        ending = topics_to_end(current, topics)
        ended = await end_alerts(uow, deps, person, ending, route, channel, under=under)
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
        person = await link_holder(uow, deps, token, purposes, lock=True)
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
    ended = await end_alerts(
        uow, deps, person, frozenset(current), route, channel, details, under=under
    )
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
    return await end_alerts(uow, deps, person, frozenset(current), route, None, details)


async def end_alerts(
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
