"""Commands of the manage link in mails: read and change a person's topics, frequency and
language."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from services.subscriptions.domain.consent import consent_entry
from services.subscriptions.domain.model import (
    ChangedMeanwhile,
    NoticeNotShown,
    PageShown,
    Preferences,
    ShownChoices,
    Subscriber,
)
from services.subscriptions.domain.preferences import change_preferences, changed_elsewhere
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    SubscriberStatus,
    UnsubscribeRoute,
)
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_alerts import end_alerts
from services.subscriptions.handlers.ending_notice import UnderNotice, under_notice
from services.subscriptions.handlers.link_holders import link_holder
from services.subscriptions.unit_of_work import UnitOfWork
from shared.events import PreferencesChanged
from shared.tokens import Purpose
from shared.vocabulary import Frequency, Language


async def preferences(
    uow: UnitOfWork, deps: Deps, token: str, purposes: tuple[Purpose, ...] = ("manage",)
) -> Preferences | None:
    """Return the topics, frequency and language of the person a link names; None if invalid."""
    async with uow:
        person = await link_holder(uow, deps, token, purposes)
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
        person = await link_holder(uow, deps, token, ("manage",), lock=True)
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
            await end_alerts(
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
            await end_alerts(
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
