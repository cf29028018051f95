"""The watcher's one decision: what a poll of a source comes to.

``decide`` takes the source as the poll found it and what the fetch brought back, and returns
an ``Outcome``: its kind, when to poll next, the health counters, what to store and the events
to record. Pure: no I/O, no clock, no randomness (the caller draws the jitter), so every rule
of polling is here, once, and tested as a table (tests/unit/watcher/test_watcher_decide.py);
the failure branch (the failure counts, the pause a server asked for, the failing and
recovered events) is in failed_polls.py. The one read it may cause is the history's: the
latest snapshots' fingerprints, asked for through ``History.recent`` only when new text differs
from the latest (returns.py).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.watcher.domain.cut_count import cut_count_kept
from services.watcher.domain.cut_feeds import held_back
from services.watcher.domain.cut_pages import held_back_page, page_meta, reclosed
from services.watcher.domain.error_texts import refused_error_text
from services.watcher.domain.failed_polls import after_the_pause, failed_poll, healed
from services.watcher.domain.gone import missing
from services.watcher.domain.model import EXTRACTION, Content
from services.watcher.domain.news import (
    FEED_BURST,
    change_events,
    dated_entries,
    keyed_apart,
    one_for_a_burst,
    seen_entries,
    snapshot_meta,
    without_future_dates,
)
from services.watcher.domain.numbers_only import CONFIRM_SECONDS, numbers_only
from services.watcher.domain.outbound import carried_line
from services.watcher.domain.outcome import (
    Answer,
    Health,
    History,
    NewSnapshot,
    Notice,
    Outcome,
    OutcomeKind,
    Rules,
    SourceState,
    Stored,
)
from services.watcher.domain.rotation import known_version, returned_notice
from services.watcher.domain.stale_push import older_than_stored
from services.watcher.domain.summary import compare
from services.watcher.domain.told import Settled, by_the_deadline, settle, sooner
from services.watcher.domain.websub import pace
from shared.events import ContentChanged
from shared.vocabulary import SourceKind

# Polls are spread by up to a tenth of the interval either way, so sources added together do
# not stay in step and hit their hosts in bursts.
JITTER = (0.9, 1.1)
TITLE_COLUMN = 500  # the title columns' width


def draw_jitter() -> float:
    """Return a factor for the next interval (random: the one impure part, kept out of decide)."""
    return random.uniform(*JITTER)


def decide(
    state: SourceState,
    answer: Answer,
    *,
    read_under: Rules,
    history: History | None,
    now: datetime,
    jitter: float,
    failure_threshold: int,
    gone_after: timedelta,
) -> Outcome:
    """Return what a poll comes to.

    ``read_under`` are the rules the body was parsed by (the catalogue may have changed them
    since); ``history`` is needed only when the answer holds new content.
    """
    answer = (
        held_back(state, answer, history) if answer.cut else held_back_page(state, answer, history)
    )
    answer = cut_count_kept(state, refused_error_text(state, answer, history))
    due = now + timedelta(seconds=pace(state.interval_seconds, state.push_until, now) * jitter)
    absence = missing(state, answer, now, gone_after)
    if answer.error is not None:
        later = after_the_pause(due, answer.retry_after, now)
        failed = failed_poll(state, answer.error, now, later, failure_threshold)
        failed.missing_since, failed.gone_at = absence.since, absence.gone_at
        failed.notice = absence.notice or failed.notice
        if answer.unread is not None and state.rules == read_under:
            # Those bytes are not read again (handlers._answer); new rules read them afresh.
            failed.body_hash = answer.unread
        if state.held:  # pushes wait for this page: asked again soon, sent if it stays unread
            settled = settle(state, now, read=False, new=False)
            failed.told, failed.released = settled.told, settled.released
            failed.notice = settled.notice or failed.notice
            soon = later if answer.retry_after is not None else sooner(later, state.told_until, now)
            failed.next_check_at = by_the_deadline(soon, state.held, settled)
        return failed
    content = answer.content
    if content is not None and state.rules != read_under:
        # Content read under the old rules says nothing about the new: no alert, no snapshot;
        # forget the bytes so that the next poll (now) reads them again and re-baselines.
        return Outcome(
            kind=OutcomeKind.RULES_CHANGED,
            source_id=state.id,
            checked_at=now,
            next_check_at=now,
            status=state.status,
            consecutive_failures=state.consecutive_failures,
            last_error=state.last_error,
            etag=state.etag,
            last_modified=state.last_modified,
            body_hash=None,
            missing_since=state.missing_since,
            gone_at=state.gone_at,
        )
    alerts, notice = healed(state)
    notice = absence.notice or notice
    stored: Stored | None = None
    changes: tuple[ContentChanged, ...] = ()
    settled = Settled()
    if content is None:
        # A 304 keeps the validators that earned it; the same bytes bring their own.
        validators: SourceState | Answer = state if answer.not_modified else answer
        kind = OutcomeKind.NOT_MODIFIED if answer.not_modified else OutcomeKind.UNCHANGED
        body_hash = state.body_hash
        settled = settle(state, now, read=True, new=False)
        notice = notice or settled.notice
    else:
        if history is None:
            raise ValueError("new content is compared with the source's history: none was read")
        # A reading under older rules is judged only while the row is still stored under
        # them: one stored meanwhile under today's (a poll after a lapsed lease) compares
        # like with like.
        earlier = answer.earlier if state.read_before(EXTRACTION) is not None else None
        # Stored under rules an editor changed since, which cannot read this body: no news.
        unjudged = earlier is None and state.rules_before is not None
        if earlier is content:  # those rules read it as today's do
            earlier = None
        # Dated as what is stored was: another reading of the same dates moves nothing back.
        behind = older_than_stored(earlier or content, history) if answer.pushed else None
        if behind is None and _to_confirm(state, content, earlier, unjudged, history):
            # Only its numbers changed: read again soon, and told if that reading is the same.
            first = state.pending_print is None
            again = now + timedelta(seconds=min(state.interval_seconds, CONFIRM_SECONDS))
            return Outcome(
                kind=OutcomeKind.UNCHANGED,
                source_id=state.id,
                checked_at=now,
                # A page whose numbers changed again at once is read at its pace after that.
                next_check_at=sooner(again if first else due, state.told_until, now),
                status=Health.OK,
                consecutive_failures=0,
                last_error=None,
                # The validators and bytes of what is stored: the next reading is read anew.
                etag=state.etag,
                last_modified=state.last_modified,
                body_hash=state.body_hash,
                alerts=alerts,
                notice=notice or _numbers_notice(state.url, first),
                pending=content.fingerprint,
            )
        if behind is None:
            read_from = answer.moved_to or state.url
            kind, stored, changes, said, new = _compared(
                state, content, earlier, history, now, read_from, answer.unclosed, unjudged
            )
            settled = settle(state, now, read=True, new=new)
            if settled.silent:
                # Its publisher's push told this change (told.py): stored, untold by the poll.
                changes = ()
                kind = OutcomeKind.UNCHANGED if kind is OutcomeKind.CHANGED else kind
            said = settled.notice or said
            validators, body_hash, notice = answer, answer.body_hash, notice or said
        else:
            # Nothing stored, nobody told: the source stays as it was, and so do its bytes.
            kind, validators, body_hash = OutcomeKind.UNCHANGED, state, state.body_hash
            notice = notice or Notice(
                logging.WARNING,
                "watcher: a push for %s is dated %s, older than what is stored (%s); not taken",
                (state.url, *behind),
            )
    return Outcome(
        kind=kind,
        source_id=state.id,
        checked_at=now,
        # Until a push's text shows (or its mark lapses), the page is read again soon.
        next_check_at=due if settled.told else sooner(due, state.told_until, now),
        status=Health.OK,
        consecutive_failures=0,
        last_error=None,
        etag=validators.etag,
        last_modified=validators.last_modified,
        body_hash=body_hash,
        stored=stored,
        changes=changes,
        alerts=alerts,
        notice=notice,
        moved_to=answer.moved_to,
        told=settled.told,
        released=settled.released,
        dropped=settled.dropped,
        # A reading compared (a 304 or the same bytes keeps one waiting to be confirmed).
        pending=None if content is not None and state.pending_print is not None else False,
    )


def _to_confirm(
    state: SourceState,
    content: Content,
    earlier: Content | None,
    unjudged: bool,
    history: History | None,
) -> bool:
    """Tell whether a page's or a document's new reading differs from the stored text only in
    its numbers, and was not read so already (numbers_only.py)."""
    previous = history.previous if history is not None else None
    if previous is None or earlier is not None or unjudged or state.rules.kind == SourceKind.FEED:
        return False
    fingerprint = content.fingerprint
    if fingerprint in (state.fingerprint, previous.fingerprint, state.pending_print):
        return False  # nothing new, or the same reading again: compared, and told if news
    return numbers_only(previous.content.blocks, content.blocks)


def _numbers_notice(url: str, first: bool) -> Notice:
    if first:
        return Notice(
            logging.INFO,
            "watcher: %s changed only in its numbers; read again soon, and told if it stays so",
            (url,),
        )
    return Notice(
        logging.INFO,
        "watcher: %s changed its numbers again when read again (a clock, a counter or an id"
        " that changes at every request?); nobody is told of them",
        (url,),
    )


def _compared(
    state: SourceState,
    content: Content,
    earlier: Content | None,
    history: History,
    now: datetime,
    read_from: str,
    unclosed: bool,
    unjudged: bool = False,
) -> tuple[OutcomeKind, Stored, tuple[ContentChanged, ...], Notice | None, bool]:
    """Judge new content against the stored; ``read_from`` is where redirects led the fetch;
    ``unclosed``: a page's HTML or a feed's XML had no closing tags (cut_pages.py);
    ``unjudged``: stored under rules an editor changed since, which cannot read it.

    The last value tells whether the text is new: neither the stored one (under the rules it
    was stored by) nor one the page showed lately.
    """
    fingerprint = content.fingerprint  # hashes all the text: computed once
    # Stored under older extraction rules that read this body otherwise: judged by them once
    # more, so that the upgrade alone is no news; what is stored is read under today's.
    judged = content if earlier is None else earlier
    judged_print = fingerprint if earlier is None else earlier.fingerprint
    previous = history.previous
    # The row mirrors its latest snapshot's fingerprint: equal means nothing new.
    same = judged_print == state.fingerprint or (
        previous is not None and judged_print == previous.fingerprint
    )
    # Stored again, unmarked, when it closes after all (cut_pages.reclosed): nobody is told.
    if same and earlier is None and not (previous and reclosed(previous.meta, unclosed)):
        stored = Stored(fingerprint, state.title, history.last_changed_at, None, None)
        return OutcomeKind.UNCHANGED, stored, (), None, False
    seen = seen_entries(previous.meta, previous.content) if previous is not None else {}
    today = now.date()
    dated = dated_entries(previous.meta, previous.content, today) if previous is not None else {}
    title = carried_line(content.title)[:TITLE_COLUMN]  # a NUL from a feed fails on PostgreSQL
    snapshot = NewSnapshot(
        fingerprint=fingerprint,
        title=title,
        published=content.published,
        updated=content.updated,
        content=content,
        meta=page_meta(snapshot_meta(seen, content, dated, today), unclosed),
    )
    if previous is None:
        stored = Stored(fingerprint, title, history.last_changed_at, snapshot, None)
        notice = Notice(
            logging.INFO, "watcher: baseline for %s taken; nobody is alerted", (state.url,)
        )
        return OutcomeKind.BASELINE, stored, (), notice, True
    if unjudged:  # a baseline under the new rules: from now on like is compared with like
        stored = Stored(fingerprint, title, history.last_changed_at, snapshot, previous.id)
        said = "watcher: %s read anew under its changed rules; stored, nobody is alerted"
        return OutcomeKind.UNCHANGED, stored, (), Notice(logging.INFO, said, (state.url,)), not same
    prints = (fingerprint, judged_print)
    back = None
    if not same:
        back = known_version(
            prints, judged.blocks, state.rules.kind, history, now, state.interval_seconds
        )
    if back is not None:
        # A version shown lately (returns.py), the first change to it told already: stored,
        # so the row, the admin's diff and the next comparison hold what the page says now.
        return (
            OutcomeKind.UNCHANGED,
            Stored(fingerprint, title, history.last_changed_at, snapshot, previous.id, now),
            (),
            returned_notice(state.url, back),
            False,
        )
    origin = _Origin(state.id, state.url, state.rules.kind, history.topics)
    # Same under the older rules: only the reading changed; it is stored and nobody is told.
    changes: tuple[ContentChanged, ...] = ()
    told = 0
    if not same:
        change = compare(previous.content, judged)
        apart = keyed_apart(previous.meta)
        # Judged under older rules, a feed tells the entries those rules see as new or changed
        # (in today's reading): another reading of the same entry is no news.
        only = change.notes.keys() if earlier is not None else None
        events = change_events(
            origin,
            content,
            change,
            seen,
            apart_before=apart,
            read_from=read_from,
            only=only,
            dated=dated,
            today=today,
            older=earlier,
        )
        told = len(events)
        changes = tuple(without_future_dates(one_for_a_burst(origin, content, events), now.date()))
    if not changes:
        return (
            OutcomeKind.UNCHANGED,
            Stored(fingerprint, title, history.last_changed_at, snapshot, previous.id),
            (),
            None,
            not same,
        )
    stored = Stored(fingerprint, title, now, snapshot, previous.id)
    notice = Notice(logging.INFO, "watcher: %s changed", (state.url,))
    if told > len(changes):
        notice = Notice(
            logging.WARNING,
            "watcher: %s shows %d new entries at once, more than a feed publishes between two"
            " polls (an archive come to light?); told as one change naming the first %d",
            (state.url, told, FEED_BURST),
        )
    return OutcomeKind.CHANGED, stored, changes, notice, True


@dataclass(frozen=True, slots=True)
class _Origin:
    """The source as a change event names it (news.NewsSource)."""

    id: int
    url: str
    kind: str
    topics: tuple[str, ...]
