"""The mailer's event consumers: each event's handler, bound to the bus under one queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer import handlers
from services.mailer.handlers import Deps
from shared.bus import AfterCommit, EventBus, Handler, after_commit
from shared.events import (
    BulletinPublished,
    BulletinTestRequested,
    CatalogueChanged,
    ChangeApproved,
    ContentChanged,
    Event,
    ManageLinkRequested,
    PageRemoved,
    PreferencesChanged,
    SignupRequested,
    SourceFailing,
    SourceRecovered,
    SubscriberErased,
    SubscriberUnsubscribed,
)

CONSUMER = "mailer"  # the mailer's one queue; the inbox keys on (consumer, event id)

MailerHandler = Callable[[AsyncSession, Deps, Any], Awaitable[None]]


def subscribe(
    bus: EventBus, deps: Deps, wake: asyncio.Event, *, after_erasure: AfterCommit
) -> None:
    """Register a consumer for every event the mailer handles.

    ``after_erasure`` runs once the forgetting of an erased person has committed: on SQLite it
    scrubs the id from the database file (``shared.db.scrub_deleted``; PostgreSQL's old row
    versions are left to autovacuum, docs/privacy.md), as the subscriptions service does after
    deleting the person: once per erasure, never per mail.
    """

    def consumer(handler: MailerHandler, *, queues_mail: bool) -> Handler:
        async def consume(event: Any, session: AsyncSession) -> None:
            await handler(session, deps, event)
            if queues_mail:
                wake.set()  # the delivery worker looks for the new work right away

        return consume

    async def erased(event: SubscriberErased, session: AsyncSession) -> None:
        await handlers.erased(session, deps, event)
        after_commit(session, after_erasure)

    # (event, its handler, whether it queues mail for the delivery worker)
    bindings: list[tuple[type[Event], MailerHandler, bool]] = [
        (SignupRequested, handlers.signup_requested, True),
        (ManageLinkRequested, handlers.manage_link_requested, True),
        (ContentChanged, handlers.content_changed, True),
        (ChangeApproved, handlers.change_approved, True),
        (PreferencesChanged, handlers.preferences_changed, True),
        (SubscriberUnsubscribed, handlers.unsubscribed, False),
        (SourceFailing, handlers.source_status_changed, True),
        (SourceRecovered, handlers.source_status_changed, True),
        (CatalogueChanged, handlers.catalogue_changed, True),
        (PageRemoved, handlers.page_removed, True),
        (BulletinPublished, handlers.bulletin_published, True),
        (BulletinTestRequested, handlers.bulletin_test_requested, True),
    ]
    for event_type, handler, queues_mail in bindings:
        bus.subscribe(CONSUMER, event_type, consumer(handler, queues_mail=queues_mail))
    bus.subscribe(CONSUMER, SubscriberErased, erased)
