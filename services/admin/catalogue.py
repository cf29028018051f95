"""Changing the catalogue: plan a file against what is in force, apply it in one transaction.

Every apply that changes something raises the catalogue's version, records a
``catalogue.changed.v1`` event and an audit log entry, all with the rows it writes
(docs/decisions/0011). Callers own the transaction, except ``apply_at_start``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin.adapters import audit_log, catalogue_rows
from services.admin.domain.catalogue_plan import Action, Plan, plan
from services.admin.domain.start_file import refused_at_start, without_refused
from services.admin.domain.topic_edits import Rows
from services.mailer import command_api as mailer_commands
from services.mailer import read_api as mailer
from services.watcher import command_api as watcher_commands
from shared.catalogue_checks import parse_catalogue
from shared.catalogue_entries import Catalogue
from shared.catalogue_file import entry_data, parse_catalogue_text, read_catalogue_text
from shared.events import CatalogueChanged, ContentChanged
from shared.outbox import record
from shared.progress import Tracker
from shared.vocabulary import ReviewMode

log = logging.getLogger(__name__)

START_ACTOR = "system"
START_ATTEMPTS = 3


async def preview(session: AsyncSession, wanted: Catalogue) -> Plan:
    """Return what applying a catalogue would change, writing nothing."""
    return plan((await catalogue_rows.load(session)).catalogue, wanted)


def _removed_sources(result: Plan) -> list[str]:
    """Return the addresses of the sources a plan removes (an address edited is one of them)."""
    return [c.key for c in result.changes if c.action is Action.RETIRED and c.section == "sources"]


async def withdrawals(session: AsyncSession, result: Plan) -> list[mailer.ChangeOnDesk]:
    """Return the changes on the desk that applying the plan would withdraw, writing nothing."""
    return await mailer.waiting_of_sources(session, _removed_sources(result))


@dataclass(frozen=True, slots=True)
class HeldPushes:
    """Publishers' pushes that waited for a page (docs/publishing.md) an apply stops polling,
    or takes out of review mode."""

    sent: list[ContentChanged]  # sent as they came: a paused source's, most removed ones'
    withdrawn: list[ContentChanged]  # a removed review source's, as its changes on the desk
    # A source's taken in under review, which the apply ends: on the desk, as they came then.
    to_desk: list[ContentChanged] = field(default_factory=list)


def reviewed_sources(current: Catalogue) -> frozenset[str]:
    """Return the addresses of the sources whose changes wait for an editor's review."""
    return frozenset(s.url for s in current.sources if s.mode is ReviewMode.REVIEW)


def leaving_review(current: Catalogue, wanted: Catalogue) -> list[str]:
    """Return the addresses of the sources in review mode that ``wanted`` keeps, out of it.

    The pushes that wait for their page were taken in under review: they go to the desk, as
    they would have gone had the page been read before (docs/publishing.md), not to every
    follower once it is. Paused in the same apply, they go there too, not out as a pause sends.
    """
    reviewed = reviewed_sources(current)
    return [s.url for s in wanted.sources if s.url in reviewed and s.mode is not ReviewMode.REVIEW]


def withdrawn_with_its_source(push: ContentChanged, reviewed: Collection[str]) -> bool:
    """Tell whether removing its source withdraws a push that waited for its page.

    The publisher reported a change while varsel watched the page, and was answered 202: it is
    told before the source goes, as pausing does and as a push just after the removal is. Sent
    when it came, a review source's push (not minor) waited on the desk, and removing the source
    withdraws what waits there: so it is withdrawn with them, never sent unseen.
    """
    return push.source_url in reviewed and not push.minor


async def pushes_leaving(
    session: AsyncSession, current: Catalogue, *, paused: Collection[str], removed: Collection[str]
) -> HeldPushes:
    """Return the pushes waiting for the pages of sources being paused or removed, as an apply
    would send or withdraw them, writing nothing."""
    # Imported here: the watcher's read_api brings its page, feed and PDF readers, which every
    # process applying the catalogue at start (the mailer's too) would otherwise carry.
    from services.watcher import read_api as watcher

    reviewed = reviewed_sources(current)
    leaving = await watcher.held_pushes_of(session, removed)
    withdrawn = [p for p in leaving if withdrawn_with_its_source(p, reviewed)]
    sent = await watcher.held_pushes_of(session, paused)
    return HeldPushes(watcher.as_sent(sent + [p for p in leaving if p not in withdrawn]), withdrawn)


async def held_pushes(session: AsyncSession, result: Plan, wanted: Catalogue) -> HeldPushes:
    """Return the pushes waiting for a page that applying the plan would send or withdraw."""
    from services.watcher import read_api as watcher  # as in pushes_leaving

    current = (await catalogue_rows.load(session)).catalogue
    ending = leaving_review(current, wanted)
    paused = [s.url for s in wanted.sources if s.paused and s.url not in ending]
    held = await pushes_leaving(session, current, paused=paused, removed=_removed_sources(result))
    to_desk = watcher.as_sent(await watcher.held_pushes_of(session, ending))
    return HeldPushes(held.sent, held.withdrawn, to_desk)


def _keys(result: Plan, action: Action) -> tuple[str, ...]:
    return tuple(c.key for c in result.changes if c.action is action)


async def apply(
    session: AsyncSession,
    wanted: Catalogue,
    *,
    actor: str,
    client: str,
    origin: str,
    now: datetime,
    start_file_hash: str | None = None,
    tracker: Tracker | None = None,
    told: list[mailer.ChangeOnDesk] | None = None,
    told_pushed: list[ContentChanged] | None = None,
    sent_pushed: list[ContentChanged] | None = None,
    desk_pushed: list[ContentChanged] | None = None,
) -> Plan:
    """Make the catalogue match ``wanted`` in the caller's transaction; return the plan applied.

    ``start_file_hash`` is given when ``VARSEL_CONFIG`` is applied at start: the hash is kept
    so the next start of any replica leaves the catalogue alone until the file changes.
    ``told``, when given, receives the changes on the desk the apply withdrew, each as it was
    just before, for the person who applied to read (as a dry run lists them beforehand);
    ``told_pushed`` the publishers' pushes it withdrew, that waited for a removed review
    source's page, ``sent_pushed`` those it sent, that waited for a page it stops polling, and
    ``desk_pushed`` those it put on the desk, that waited for a page it takes out of review.
    """
    await catalogue_rows.lock_state(session, now)
    current = (await catalogue_rows.load(session)).catalogue
    result = plan(current, wanted)
    # Under the lock, these are the changes of the plan's removed sources; one an editor
    # decides meanwhile is not withdrawn, and one stored meanwhile is read once withdrawn.
    before = {c.id: c for c in await withdrawals(session, result)} if told is not None else {}
    version = await catalogue_rows.write(
        session,
        wanted,
        now,
        bump=not result.empty,
        start_file_hash=start_file_hash,
        tracker=tracker,
    )
    if result.empty:
        return result
    await record(
        session,
        CatalogueChanged(
            catalogue_version=version,
            added=_keys(result, Action.ADDED),
            changed=_keys(result, Action.CHANGED),
            retired=_keys(result, Action.RETIRED),
            ended_topics=tuple(
                c.key
                for c in result.changes
                if c.action is Action.RETIRED and c.section == "topics"
            ),
            actor=actor,
        ),
    )
    audit_log.record(
        session,
        actor=actor,
        action="catalogue_applied",
        client=client,
        now=now,
        target=origin,
        details=result.summary() | {"version": version},
    )
    # Before the pause below would send them: taken in under review, they go to the desk.
    to_desk = await watcher_commands.take_held(session, leaving_review(current, wanted))
    await mailer_commands.pushed_to_the_desk(session, to_desk)
    if desk_pushed is not None:
        desk_pushed.extend(to_desk)
    withdrawn, pushed = await _withdraw_changes(
        session, result, wanted, reviewed_sources(current), actor=actor, client=client, now=now
    )
    if told_pushed is not None:
        told_pushed.extend(pushed.withdrawn)
    if sent_pushed is not None:
        sent_pushed.extend(pushed.sent)
    if told is not None:
        for change in withdrawn:
            found = before.get(change.change_id)
            found = found or await mailer.change_on_desk(session, change.change_id)
            if found is not None:
                told.append(found)
    return result


async def _withdraw_changes(
    session: AsyncSession,
    result: Plan,
    wanted: Catalogue,
    reviewed: Collection[str],
    *,
    actor: str,
    client: str,
    now: datetime,
) -> tuple[list[mailer_commands.Withdrawn], HeldPushes]:
    """Withdraw from the desk the changes of the sources the plan removes, and settle the
    pushes that waited for the pages it stops polling (returned apart), each withdrawal in the
    log.

    In the apply's transaction: approved after the removal, such a change would alert people
    about a page varsel no longer watches, and no editor could tell from the desk.
    """
    removed = _removed_sources(result)
    withdrawn = await mailer_commands.withdraw_changes_of(session, removed, actor=actor, now=now)
    # Pushes that waited for a poll of a page no longer polled are told before the source goes
    # (a paused source's by watcher.stop_watching); a removed review source's go with its
    # changes on the desk (withdrawn_with_its_source).
    paused = [s.url for s in wanted.sources if s.paused]
    leaving = await watcher_commands.stop_watching(session, paused=paused, removed=removed)
    pushed = [p for p in leaving.removed if withdrawn_with_its_source(p, reviewed)]
    sending = [p for p in leaving.removed if p not in pushed]
    sent = await watcher_commands.send_as_they_came(session, sending)
    kept = await mailer_commands.withdraw_pushed(session, pushed, actor=actor, now=now)
    for change in withdrawn + kept:
        audit_log.record(
            session,
            actor=actor,
            action="change_withdrawn",
            client=client,
            now=now,
            target=str(change.change_id),
            details={"source": change.source_url},
        )
    return withdrawn, HeldPushes(leaving.paused + sent, pushed)


@dataclass(frozen=True, slots=True)
class Ending:
    """When a topic ended, and who ended it if the audit log still says."""

    at: datetime
    actor: str | None


async def ending_of(session: AsyncSession, slug: str) -> Ending | None:
    """Return when (and by whom) a topic ended; None if it is not an ended topic.

    The apply that ended it wrote its audit entry at the moment it wrote the topic's end;
    after the audit log's retention only the moment is known.
    """
    at = await catalogue_rows.ended_at(session, slug)
    if at is None:
        return None
    ended = f"topics:{slug}"
    for entry in await audit_log.made_at(session, "catalogue_applied", at):
        if ended in (entry.details or {}).get(Action.RETIRED.value, []):
            return Ending(at, entry.actor)
    return Ending(at, None)


SourceRows = list[dict[str, Any]]


async def edit(
    session: AsyncSession,
    change: Callable[[Rows], Rows],
    *,
    actor: str,
    client: str,
    now: datetime,
    origin: str = "the admin's form",
    to_desk: list[ContentChanged] | None = None,
) -> Plan:
    """Apply an editor's change to the catalogue in force, checked as a whole file would be.

    ``change`` gets the topics and sources as a file writes them and returns them changed
    (raising ``EditRefused`` when it cannot be made); the result is validated whole (raises
    CatalogueError naming the entry and problem) and applied like a file, in the caller's
    transaction, with the same event and audit entry. ``to_desk`` receives the pushes it put
    on the desk (``apply``'s ``desk_pushed``), for the editor to be told.
    """
    await catalogue_rows.lock_state(session, now)
    current = (await catalogue_rows.load(session)).catalogue
    rows: Rows = {
        "topics": [entry_data(t) for t in (*current.topics, *current.ended)],
        "sources": [entry_data(s) for s in current.sources],
    }
    wanted = parse_catalogue(change(rows), origin)
    return await apply(
        session, wanted, actor=actor, client=client, now=now, origin="admin", desk_pushed=to_desk
    )


async def edit_sources(
    session: AsyncSession,
    change: Callable[[SourceRows], SourceRows],
    *,
    actor: str,
    client: str,
    now: datetime,
    desk_pushed: list[ContentChanged] | None = None,
) -> Plan:
    """Apply an editor's change to the sources in force, the topics as they are (see ``edit``)."""
    return await edit(
        session,
        lambda rows: {**rows, "sources": change(rows["sources"])},
        actor=actor,
        client=client,
        now=now,
        origin="the admin's source form",
        to_desk=desk_pushed,
    )


async def version_now(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Return the catalogue's version now: a form that adds an entry carries it."""
    async with sessions() as session:
        return await catalogue_rows.version(session)


async def sent_again(sessions: async_sessionmaker[AsyncSession], fields: Mapping[str, str]) -> bool:
    """Tell whether a form that adds an entry was opened before the catalogue last changed,
    so an entry it names that is there now, exactly as the form says, is its own (a form
    sent twice) rather than one the editor did not see."""
    opened = fields.get("catalogue_version", "")
    if not opened.isdigit() or len(opened) > 9:
        return False
    return int(opened) < await version_now(sessions)


def file_hash(text: str) -> str:
    """Return the hash by which a start knows the file was already applied."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def apply_at_start(
    sessions: async_sessionmaker[AsyncSession], path: Path, now: datetime, *, allow_private: bool
) -> Plan | None:
    """Apply ``VARSEL_CONFIG`` unless this very file was the last applied at start.

    Raises CatalogueError for a wrong file, before anything is written. Returns None when
    the file was already applied, so what editors changed since survives a restart. A source
    every poll of which would be refused (``allow_private`` off) is not added, and logged at
    every start while the file holds it (domain/start_file.py).
    """
    text = read_catalogue_text(path)
    wanted = parse_catalogue_text(text, str(path))
    refused = refused_at_start(wanted, allow_private=allow_private)
    for url, why in refused.items():
        log.error(
            "catalogue: source %s in %s is not added at start, as every poll of it would fail"
            " (%s). The rest of the file is applied; take the source out of the file, as"
            " `varsel check-config` asks",
            url,
            path,
            why,
        )
    # What was left out is part of what was applied: allowed later, the file applies again.
    digest = file_hash(text + "".join(f"\n# left out: {url}" for url in sorted(refused)))
    for attempt in range(START_ATTEMPTS):
        try:
            async with sessions() as session, session.begin():
                await catalogue_rows.lock_state(session, now)
                state = await catalogue_rows.load(session)
                if state.start_file_hash == digest:
                    return None
                result = await apply(
                    session,
                    without_refused(wanted, refused, state.catalogue),
                    actor=START_ACTOR,
                    client="start",
                    origin=str(path),
                    now=now,
                    start_file_hash=digest,
                )
        except IntegrityError:
            # Replicas starting together race to create the same rows; the loser applies
            # again against what the winner wrote.
            if attempt == START_ATTEMPTS - 1:
                raise
            log.info("catalogue: another replica applied %s at the same time", path)
            continue
        if not result.empty:
            log.info(
                "catalogue: applied %s at start: %d added, %d changed, %d retired",
                path,
                result.count(Action.ADDED),
                result.count(Action.CHANGED),
                result.count(Action.RETIRED),
            )
        return result
    return None
