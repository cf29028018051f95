"""Commands of signing up: the form, the confirmation link (double opt-in), a new manage link."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from services.subscriptions.domain.consent import consent_entry
from services.subscriptions.domain.model import SignupForm, SignupRequest, Subscriber
from services.subscriptions.domain.signup import (
    confirmed,
    new_request,
    new_subscriber,
    topics_to_start,
)
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, SubscriberStatus
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.unit_of_work import NewPerson, Stored, TryAgain, UnitOfWork
from shared.events import ManageLinkRequested, SignupRequested, SubscriberConfirmed
from shared.vocabulary import Frequency, Language
from shared.web.rate_limit import DAY, Limit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """What a confirmation did."""

    topics: tuple[str, ...]
    language: Language
    subscriber_id: uuid.UUID
    # Topics the confirm page showed that ended before its button was pressed: not started,
    # not recorded, and the page after says so.
    ended_since_shown: tuple[str, ...] = ()


def _limits(deps: Deps, kind: str, address: str, client: str) -> list[Limit]:
    """Return the rate limits a request of ``kind`` counts against: per address (an hour's,
    then a day's), then per client."""
    settings = deps.settings
    return [
        Limit(deps.limit_key(f"{kind}-address", address), settings.signup_limit_per_address),
        # Within the hourly limit every hour, an address would still get 24 times as many mails
        # a day; its owner, locked out of their own sign-up or manage link as long.
        Limit(
            deps.limit_key(f"{kind}-address-day", address),
            settings.signup_limit_per_address_daily,
            DAY,
        ),
        Limit(deps.limit_key(f"{kind}-client", client), settings.signup_limit_per_client),
    ]


def _over_limit(kind: str) -> None:
    log.warning("subscriptions: %s rate limit reached", kind)


async def _within_limits(uow: UnitOfWork, deps: Deps, kind: str, address: str, client: str) -> bool:
    allowed = await uow.limits.allow_all(_limits(deps, kind, address, client), deps.clock.now())
    if not allowed:
        _over_limit(kind)
    return allowed


async def retry_at(uow: UnitOfWork, deps: Deps, kind: str, address: str, client: str) -> datetime:
    """Return when a request of ``kind`` ("signup" or "manage") refused over its limits may
    come again: the end of the hour, or of the day (UTC) if the daily limit was reached."""
    async with uow:
        return await uow.limits.reached_until(
            _limits(deps, kind, address, client), deps.clock.now()
        )


async def sign_up(uow: UnitOfWork, deps: Deps, form: SignupForm, client: str) -> bool:
    """Store a sign-up and count it against the limits in one transaction; False if over.

    The answer never reveals whether the address was known.
    """
    # The ids are made once: a try that lost its connection may have been kept, and a new try
    # with new ids would then store the sign-up twice (two requests, two mails).
    ids = _Ids(subscriber_id=uuid.uuid4(), request_id=uuid.uuid4())
    for attempt in range(2):
        try:
            return await _store_signup(uow, deps, form, client, ids)
        except TryAgain:
            # A concurrent sign-up or erasure of the same address won, or the server dropped
            # the connection: start over once, unless the dropped try was kept after all. Asked
            # after the second try too: a first try still running on the server when the first
            # look found nothing commits while the second waits, which then finds its ids taken.
            if await _stored_already(uow, ids.request_id):
                return True
            if attempt:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class _Ids:
    """The ids of one sign-up's rows, the same in every try."""

    subscriber_id: uuid.UUID
    request_id: uuid.UUID


async def _stored_already(uow: UnitOfWork, request_id: uuid.UUID) -> bool:
    """Tell whether a try whose outcome is unknown kept the sign-up: its request is stored.

    A look that fails itself (the connection lost again) says no: the next try, with the same
    ids, cannot store the sign-up twice.
    """
    try:
        async with uow:
            return await uow.requests.get(request_id) is not None
    except Exception as exc:  # the store's errors, whichever database: a look, not a write
        log.warning("subscriptions: cannot tell whether a sign-up was kept: %s", type(exc).__name__)
        return False


async def _store_signup(
    uow: UnitOfWork, deps: Deps, form: SignupForm, client: str, ids: _Ids
) -> bool:
    """Store a sign-up as a request of its own, with its own confirmation mail, and count it
    against the rate limits; False if over one (then nothing is kept).

    A known address gets only the new request: whatever the person has or waits for stays as
    it is until they confirm this request from their own mailbox.
    """
    now = deps.clock.now()
    notice = deps.notices.current(form.language)
    requested = consent_entry(
        subject_hash=deps.subject_hash(form.address),
        action=ConsentAction.REQUESTED,
        topics=form.topics,
        channel=form.channel,
        occurred_at=now,
        notice=notice,
        frequency=form.frequency,
        language=form.language,
        page=form.page,
    )
    person = new_subscriber(form, subscriber_id=ids.subscriber_id, now=now)
    request = new_request(
        form,
        request_id=ids.request_id,
        subscriber_id=person.id,
        now=now,
        ttl=deps.confirm_ttl,
        privacy_version=notice.version,
    )
    # The address new or known, the same statement (PostgreSQL) or transaction (SQLite), so the
    # time of the answer does not tell which: the rows take the known person's id there.
    event = SignupRequested(subscriber_id=person.id, request_id=request.id)
    limits = _limits(deps, "signup", form.address, client)
    stored = await uow.add_new_person(NewPerson(person, request, requested, event, limits, now))
    if stored is Stored.OVER_LIMIT:
        _over_limit("signup")
        return False
    return True


@dataclass(frozen=True, slots=True)
class Pending:
    """An open sign-up request, the topics its confirmation gives consent to, and the privacy
    notice it would be given under.

    ``topics`` are those of the request people can still follow: what the confirmation page
    shows now. Its form carries them, and pressing its button starts (and the ledger records)
    those of them still offered at the press, no other (``confirm``).
    """

    request: SignupRequest
    topics: tuple[str, ...]
    notice_version: str


@dataclass(frozen=True, slots=True)
class NoticeChanged:
    """Nothing was confirmed: the privacy notice changed after the page showed the old one."""

    pending: Pending


@dataclass(frozen=True, slots=True)
class TopicsEnded:
    """Nothing was confirmed: every topic the sign-up asked for has ended since."""

    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicsNotShown:
    """Nothing was confirmed: the form names none of the sign-up's topics as shown (a page
    from before forms named them, or a forged post), so it cannot tell what the person saw."""

    pending: Pending


@dataclass(frozen=True, slots=True)
class AlreadyConfirmed:
    """Nothing more to confirm: the sign-up was confirmed before (a second press of the
    button, the link opened again, a client that retried). It gives no manage access: a
    confirmation link that was forwarded or replayed must not open the person's alerts.

    ``alerts`` tells whether the person gets any alert now: one who ended them all since (or
    whose mailbox bounced them away) must not read that they get alerts."""

    language: Language
    alerts: bool


def offered_topics(deps: Deps, request: SignupRequest) -> tuple[str, ...]:
    """Return the topics a sign-up asked for that people can still follow, in its order."""
    return tuple(topic for topic in request.topics if topic in deps.catalogue.slugs)


async def _signed_request(uow: UnitOfWork, deps: Deps, token: str) -> SignupRequest | None:
    """Return the sign-up request a genuine, unexpired confirm token names, open or not."""
    claims = deps.signer.verify(
        "confirm", token, now=deps.clock.now(), max_age_days=deps.settings.confirm_ttl_days
    )
    return None if claims is None else await uow.requests.get(claims.subject)


async def _open_request(uow: UnitOfWork, deps: Deps, token: str) -> SignupRequest | None:
    request = await _signed_request(uow, deps, token)
    return request if request is not None and request.open_at(deps.clock.now()) else None


async def _confirmed_before(uow: UnitOfWork, request: SignupRequest) -> AlreadyConfirmed | None:
    """Say a request was confirmed already, if it was and its person is still here (an erased
    person's link keeps answering that it does not work)."""
    if request.confirmed_at is None:
        return None
    person = await uow.subscribers.get(request.subscriber_id)
    if person is None:
        return None
    return AlreadyConfirmed(person.language, alerts=await _gets_alerts(uow, person))


async def _gets_alerts(uow: UnitOfWork, person: Subscriber) -> bool:
    """Tell whether alerts go to a person now: some are open, and their mail is not stopped
    (an address whose mail bounced gets none, whatever is open)."""
    if person.status is SubscriberStatus.DISABLED:
        return False
    return bool(await uow.subscriptions.open(person.id))


async def already_confirmed(uow: UnitOfWork, deps: Deps, token: str) -> AlreadyConfirmed | None:
    """Tell whether a genuine, unexpired confirm token names a sign-up confirmed before."""
    async with uow:
        request = await _signed_request(uow, deps, token)
        return None if request is None else await _confirmed_before(uow, request)


def _pending(deps: Deps, request: SignupRequest) -> Pending:
    return Pending(
        request, offered_topics(deps, request), deps.notices.current(request.language).version
    )


async def pending_confirmation(uow: UnitOfWork, deps: Deps, token: str) -> Pending | None:
    """Return the open sign-up request a confirm token names, if it is genuine and current."""
    async with uow:
        request = await _open_request(uow, deps, token)
        return _pending(deps, request) if request is not None else None


@dataclass(frozen=True, slots=True)
class _AsShown:
    """The topics a press of the confirm button starts, and those its page showed that ended."""

    topics: tuple[str, ...]
    ended: tuple[str, ...]


def _as_shown(request: SignupRequest, pending: Pending, shown: Collection[str] | None) -> _AsShown:
    """Return what a confirmation starts: the topics the page showed (None: no page, those the
    mail listed) that the sign-up asked for and people can still follow.

    The form's list is trusted no further than that: a topic named there that the sign-up did
    not ask for, or that has ended, starts nothing. A topic of the sign-up brought back after
    the page was shown (it ended, then was offered again) is not started: the person never saw
    it on the page whose button they pressed.
    """
    if shown is None:
        return _AsShown(pending.topics, ())
    named = frozenset(shown)
    return _AsShown(
        topics=tuple(t for t in pending.topics if t in named),
        ended=tuple(t for t in request.topics if t in named and t not in pending.topics),
    )


async def confirm(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    *,
    notice_version: str | None = None,
    shown_topics: Collection[str] | None = None,
) -> Confirmed | AlreadyConfirmed | NoticeChanged | TopicsEnded | TopicsNotShown | None:
    """Confirm a sign-up (double opt-in) as its mail and page showed it; None if the token is
    not usable; AlreadyConfirmed (nothing recorded) if it was confirmed before.

    ``notice_version`` is the privacy notice the confirmation page showed; if another is in
    force by the time the button is pressed, nothing is confirmed (None: the one in force).
    ``shown_topics`` are the topics that page listed (None: no page, the API, which confirms
    what the mail listed): only those still offered start and are recorded (``_as_shown``);
    a form naming none of the sign-up's topics confirms nothing (TopicsNotShown).
    A sign-up whose every topic has ended since confirms nothing (TopicsEnded): it would
    start no alert, yet record a consent and tell the person they were signed up.
    """
    async with uow:
        request = await _signed_request(uow, deps, token)
        if request is None:
            return None
        if request.confirmed_at is not None:
            return await _confirmed_before(uow, request)
        if not request.open_at(deps.clock.now()):
            return None
        pending = _pending(deps, request)
        if not pending.topics:
            return TopicsEnded(request.topics)
        chosen = _as_shown(request, pending, shown_topics)
        if not chosen.topics:
            # Every topic the page showed has ended since, or the form named none of them.
            return TopicsEnded(chosen.ended) if chosen.ended else TopicsNotShown(pending)
        if notice_version is not None and notice_version != pending.notice_version:
            return NoticeChanged(pending)
        known = await uow.subscribers.get(request.subscriber_id, lock=True)
        if known is None:
            return None
        now = deps.clock.now()
        if not await uow.requests.mark_confirmed(request.id, now):
            # Confirmed a moment ago by the same link (a double click): the browser shows
            # this answer, so it says so rather than calling the link broken.
            return AlreadyConfirmed(known.language, alerts=await _gets_alerts(uow, known))
        person = confirmed(known, request, now=now)
        await uow.subscribers.save(person)
        existing = await uow.subscriptions.open(person.id)
        added = topics_to_start(chosen.topics, existing)
        await uow.subscriptions.start(person.id, added, now)
        await uow.ledger.append(
            consent_entry(
                subject_hash=deps.subject_hash(person.email),
                action=ConsentAction.CONFIRMED,
                # What the page showed and is still offered: a topic ended since the sign-up
                # (or since the page was shown) is not started, and no consent to it is
                # recorded; nor is one brought back after the page was shown.
                topics=chosen.topics,
                channel=Channel.EMAIL_LINK,
                occurred_at=now,
                notice=deps.notices.current(request.language),
                frequency=request.frequency,
                language=request.language,
                page=request.page,
                token_id=deps.confirmation_token_id(request.id),
            )
        )
        await uow.record(
            SubscriberConfirmed(
                subscriber_id=person.id,
                topics=tuple(sorted(existing | set(added))),
                frequency=Frequency(person.frequency),
                language=Language.of(person.language),
            )
        )
        await uow.commit()
    return Confirmed(
        topics=chosen.topics,
        language=request.language,
        subscriber_id=person.id,
        ended_since_shown=chosen.ended,
    )


async def request_manage_link(uow: UnitOfWork, deps: Deps, address: str, client: str) -> bool:
    """Send a fresh manage link if the address belongs to a confirmed person; False if over
    the rate limit (then nothing is kept, not even the counts). The answer never reveals
    whether the address is known."""
    # Known, pending or unknown, the address takes the same statements in one transaction that
    # writes either way, so the time of the answer does not tell them apart: with the count
    # committed apart and the event written only for a confirmed person, that person's answer
    # took a write and a commit more (about a millisecond on SQLite), and the time told who
    # gets alerts. The per-client count's row stays locked only for the event's statement.
    async with uow:
        person = await uow.subscribers.by_address(address)
        allowed = await _within_limits(uow, deps, "manage", address, client)
        known = person is not None and person.confirmed and allowed
        subscriber_id = person.id if person is not None and known else uuid.uuid4()
        await uow.record_if(known, ManageLinkRequested(subscriber_id=subscriber_id))
        # A refusal keeps no count, as a sign-up's does not: counted, five refusals a minute
        # past the hourly limit would use up the day's allowance with five mails, and keep the
        # owner from their own manage link until midnight. Known or not, a refusal rolls back.
        if allowed:
            await uow.commit()
    return allowed
