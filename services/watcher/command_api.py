"""The commands the watcher takes: from the organisation's staff (the admin), and from a
publisher's CMS through the publisher API the admin serves (ADR 0015).

Each runs in the caller's transaction, so the admin records its audit entry in the same commit
as the watcher's rows and event: neither can exist without the other. The watcher stays the one
producer of ``content.changed``, pushed changes included. A check works in every mode: every
watcher process claims due sources from the database each second, so a source made due here is
polled by whichever replica claims it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters import held_pushes, publisher_keys
from services.watcher.adapters.gone_rows import confirm_gone
from services.watcher.domain.joined import one_per_edit
from services.watcher.domain.push import Push, change_event
from services.watcher.domain.told import HELD_LIMIT
from shared import outbox
from shared.events import ContentChanged, PageRemoved

__all__ = [
    "KeyReused",
    "Left",
    "PageRemoved",
    "Published",
    "Push",
    "check_source_now",
    "confirm_page_gone",
    "publish_change",
    "send_as_they_came",
    "stop_watching",
    "take_held",
]

log = logging.getLogger(__name__)


async def confirm_page_gone(
    session: AsyncSession, source_id: int, now: datetime
) -> PageRemoved | None:
    """Confirm that a gone page is gone: its followers will be told once (``page.removed``).

    Returns the event, or None when the page is not gone (it came back, was confirmed by
    someone else a moment ago, or is not watched): then nothing changed.
    """
    return await confirm_gone(session, source_id, now)


class KeyReused(Exception):
    """An idempotency key came back with a different change than the one it first sent."""


@dataclass(frozen=True, slots=True)
class Published:
    """The change a push became; ``replayed`` when its key had already sent it."""

    event_id: uuid.UUID
    source_id: int | None
    replayed: bool


async def publish_change(
    session: AsyncSession, push: Push, key: str, publisher: str, now: datetime
) -> Published:
    """Emit a pushed change once per idempotency key, in the caller's transaction."""
    source = await publisher_keys.watched_source_at(session, push.url)
    body_hash = push.fingerprint()
    use = await publisher_keys.use_key(session, key, body_hash, uuid.uuid4(), publisher, now)
    source_id = source.id if source else None
    if not use.first:
        if use.body_hash != body_hash:
            raise KeyReused(key)
        return Published(use.event_id, source_id, replayed=True)
    change = change_event(push, source, use.event_id, now)
    # The poll that next reads this page would tell the same edit again; and a push that
    # comes just after a change was told may repeat it, so it waits for that poll (told.py).
    marked = await publisher_keys.mark_told(session, source.id, change, now) if source else None
    if marked is None or not marked.held:
        await outbox.record(session, change)
    if marked is not None and marked.freed is not None:
        await outbox.record(session, marked.freed)
    if marked is not None and marked.full:
        _log_full(marked, change, publisher)
    return Published(use.event_id, source_id, replayed=False)


# Past the limit: what became of the push, and of the one held it met (told.kept).
_FULL = "watcher: source %s already holds %d pushed changes waiting for its page to be read; "
_HOOKS = ". A CMS pushing in a loop does this: check its publishing hooks"


def _log_full(marked: publisher_keys.Marked, change: ContentChanged, by: str) -> None:
    """Say what a push past a source's limit did, and why: a CMS that pushes in a loop is what
    fills a source's row, so its publisher is named (a token's name, not its secret)."""
    start = (change.source_id, HELD_LIMIT, change.event_id, by)
    if marked.joined_with is not None:
        log.warning(
            _FULL + "push %s from publisher %r is joined with the held change %s (both real"
            " edits, their topics together, or both minor); the two now wait as one change, %s"
            + _HOOKS,
            *start,
            marked.joined_with.event_id,
            change.event_id,
        )
    elif marked.freed is not None:
        log.warning(
            _FULL + "push %s from publisher %r is a real edit and all those held are minor, so"
            " the earliest, %s, is sent now as a minor change (recorded, nobody alerted) and the"
            " push waits in its place" + _HOOKS,
            *start,
            marked.freed.event_id,
        )
    else:
        log.warning(
            _FULL + "push %s from publisher %r is minor and none held is, so it is sent now as a"
            " minor change (recorded, nobody alerted), not joined with a real edit" + _HOOKS,
            *start,
        )


async def check_source_now(session: AsyncSession, source_id: int, now: datetime) -> bool | None:
    """Make a watched source due at once: True, or False if paused, None if there is none."""
    return await publisher_keys.check_now(session, source_id, now)


@dataclass(frozen=True, slots=True)
class Left:
    """The pushes that waited for the pages of sources no longer polled (domain/told.py)."""

    paused: list[ContentChanged]  # sent as they came, one change per edit (joined.py)
    removed: list[ContentChanged]  # taken off the rows, for the caller to send or withdraw


async def stop_watching(
    session: AsyncSession, *, paused: Collection[str], removed: Collection[str]
) -> Left:
    """Stop polling the sources an editor paused or removed, in the catalogue's transaction.

    Pushes held for their page (domain/told.py) wait for a poll that will not come. A paused
    source's are sent as they came (one change per page for its real edits, joined.py),
    as a push for a paused page is sent at once. A removed source's (or one saved under another
    address) are taken off its row and returned: the caller knows whether editors reviewed its
    changes, and sends them (``send_as_they_came``) or withdraws them with its changes on the
    editor's desk.
    """
    sent = one_per_edit(await held_pushes.leave(session, paused))
    for change in sent:
        _log_sent(change, "was paused")
        await outbox.record(session, change)
    return Left(list(sent), await held_pushes.leave(session, removed))


async def send_as_they_came(
    session: AsyncSession, pushes: Collection[ContentChanged]
) -> list[ContentChanged]:
    """Send pushes that waited for the page of a source an editor removed, as they came, one
    change per page for its real edits (joined.py); return the changes sent.

    Their publisher reported the change while varsel watched the page, and a push that comes
    after the removal is sent at once, as a push for a page nobody watches: the mailer takes
    these as it takes such a push.
    """
    sent = one_per_edit(list(pushes))
    for change in sent:
        _log_sent(change, "was removed")
        await outbox.record(session, change)
    return list(sent)


def _log_sent(change: ContentChanged, why: str) -> None:
    log.info(
        "watcher: %s %s; pushed change %s, which waited for its page to be read, is sent as it"
        " came",
        change.source_url,
        why,
        change.event_id,
    )


async def take_held(session: AsyncSession, urls: Collection[str]) -> list[ContentChanged]:
    """Take the pushes held for the pages of sources leaving review mode off their rows, in
    the catalogue's transaction, for the caller to put on the editors' desk: one change per
    page for its real edits (joined.py), as a read of the page would send them.

    They were taken in while an editor reviewed the source's changes: sent when the page is
    read, after the mode changed, they would reach every follower unseen (docs/publishing.md).
    The sources stay polled, and their page's next new text stays taken as told (told.py): the
    pushes on the desk tell it, once an editor approves them.
    """
    return list(one_per_edit(await held_pushes.taken_from(session, urls)))
