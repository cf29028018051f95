"""Polling a source: fetch, extract, compare with the last snapshot, emit real changes only."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.fetch_errors import FetchDeadline, FetchError
from services.watcher.adapters.fetcher import Fetcher
from services.watcher.adapters.group_writes import GroupWrites, Transactions, transactions_for
from services.watcher.adapters.host_turns import NoTurn
from services.watcher.adapters.hub_rows import note_hub
from services.watcher.adapters.outcomes import LeaseLost, store_outcome
from services.watcher.adapters.source_rows import claim_rows, load_claim
from services.watcher.body_reading import fits_the_loop, parse_body, read_as_before
from services.watcher.domain.content import ContentError
from services.watcher.domain.cut_feeds import cut_short
from services.watcher.domain.cut_pages import unclosed
from services.watcher.domain.decide import decide, draw_jitter
from services.watcher.domain.extract_pdf import NOT_READ_AGAIN
from services.watcher.domain.failures import CONTENT_PREFIX
from services.watcher.domain.front_pages import (
    another_site_reason,
    front_page_reason,
    leads_to_another_site,
    leads_to_front_page,
    led_elsewhere,
)
from services.watcher.domain.model import OverBudget
from services.watcher.domain.outcome import (
    Answer,
    History,
    Outcome,
    OutcomeKind,
    SourceState,
    unread_mark,
)
from services.watcher.domain.revalidation import asks_in_full
from services.watcher.domain.websub import discover
from services.watcher.missed_turns import MissedTurns
from shared.clock import Clock
from shared.vocabulary import SourceKind

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# A claimed poll's fetch ends this long after its claim at the latest, redirects, waits for the
# host's turn and reading the body included, leaving the rest of the lease to parse and store.
# Each hop may take twice VARSEL_FETCH_TIMEOUT_SECONDS and there are up to
# VARSEL_FETCH_MAX_REDIRECTS + 1 of them (240 s at the defaults): unbounded, a fetch outlasted
# the lease, another process claimed the source and polled it beside this one. A poll whose time
# its host's other polls spent holding the turns (NoTurn) is put back, not failed (poll): a
# claim takes due sources whatever their host, since how many of one host a window serves
# depends on how fast it answers, and each replica has turns of its own (ADR 0026).
FETCH_WITHIN = LEASE - timedelta(seconds=30)
# The answers that say a page is not there (rather than that the server is in trouble).
MISSING_STATUSES = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class WatcherDeps:
    """What polling needs."""

    sessions: async_sessionmaker[AsyncSession]
    fetcher: Fetcher
    clock: Clock
    failure_threshold: int
    gone_after: timedelta  # VARSEL_PAGE_GONE_AFTER_DAYS: only 404 or 410 this long is gone
    owner: str
    sqlite: bool
    admin_url: str  # ContentChanged.diff_url points into the admin pages
    # The hot statements (claims, outcomes) run here, off the ORM; see group_writes.
    transactions: Transactions = field(init=False)
    writes: GroupWrites = field(init=False)
    # The parsing of feeds, documents and large pages, and SQLite's writes that are heavier
    # or must wait for the lock, run off the event loop, so pages served from the same process
    # do not wait on them, and all on one thread: they hold the GIL for most of their work, so
    # threads of their own would only take turns, and each thread that wants the GIL while
    # another has it costs a forced switch and the wake-ups around it (about a tenth of a
    # bench/watcher round's CPU with a parser thread and a writer thread). Small pages are
    # parsed on the loop (PARSE_ON_LOOP_BYTES), and their writes run there (group_writes).
    worker: ThreadPoolExecutor = field(init=False)
    # Hosts whose polls were put back for want of a turn, told to operators sparingly.
    turns: MissedTurns = field(init=False)

    def __post_init__(self) -> None:
        worker = ThreadPoolExecutor(1, thread_name_prefix="watcher-worker")
        transactions = transactions_for(self.sessions.kw["bind"], worker)
        object.__setattr__(self, "worker", worker)
        object.__setattr__(self, "turns", MissedTurns())
        object.__setattr__(self, "transactions", transactions)
        object.__setattr__(self, "writes", GroupWrites(transactions))

    async def aclose(self, within: float | None = None) -> None:
        """Finish the writes under way (waiting ``within`` s at most; None: no bound); release
        the fetcher, the writer and the worker thread."""
        await self.writes.aclose(within)
        await self.fetcher.aclose()
        self.worker.shutdown(wait=False)  # a parse under way ends on its own; nobody waits


@dataclass(frozen=True, slots=True)
class Claim:
    """A source leased to this poller: the row as claimed, the lease's name, the fetch's end."""

    source: SourceState
    # Each claim's own name, so a poll knows whether the source is still leased to it and not
    # to a later claim of the same process.
    lease: str
    fetch_by: float  # on the event loop's clock: the claim's time plus FETCH_WITHIN
    late_from: datetime | None = None  # on deps.clock: from then on the lease may be lost

    @property
    def id(self) -> int:
        """Return the source's id."""
        return self.source.id


async def claim_due(deps: WatcherDeps, limit: int = 50) -> list[Claim]:
    """Lease due sources to this poller (SKIP LOCKED lets replicas share the work)."""
    now = deps.clock.now()
    fetch_by = asyncio.get_running_loop().time() + FETCH_WITHIN.total_seconds()
    lease = f"{deps.owner[:80]}#{secrets.token_hex(6)}"  # the column holds 100 characters
    claimed = await deps.transactions.run(
        partial(
            claim_rows,
            now=now,
            until=now + LEASE,
            owner=lease,
            limit=limit,
            skip_locked=not deps.sqlite,
        ),
        light=True,
    )
    return [Claim(source, lease, fetch_by, now + FETCH_WITHIN) for source in claimed]


async def poll(deps: WatcherDeps, source: Claim | SourceState | int) -> OutcomeKind | None:
    """Poll one source (as claimed, or an id read afresh); return what happened.

    None: the poll came too late for its claim (see FETCH_WITHIN and LeaseLost), or the host's
    other polls held its turns for the time it had (NoTurn: no failure of the source, whose
    page was not asked, or not in time); nothing was stored, and the source is polled again
    when its lease ends, if no other poll has done so.
    """
    lease, fetch_by, late_from = None, None, None
    if isinstance(source, Claim):
        lease, fetch_by, late_from = source.lease, source.fetch_by, source.late_from
        source = source.source
        if asyncio.get_running_loop().time() >= fetch_by:
            # It waited for a free slot until its time was up: no fetch is counted against it.
            log.info("watcher: no time left to poll %s under its lease", source.url)
            return None
    elif isinstance(source, int):
        async with deps.sessions() as session:
            loaded = await load_claim(session, source)
        if loaded is None:
            return OutcomeKind.GONE
        source = loaded
    try:
        answer = await _answer(deps, source, fetch_by)
    except NoTurn as missed:
        deps.turns.put_back(missed.host, source.url, FETCH_WITHIN.total_seconds())
        return None
    kind = await settle(deps, source, answer, lease=lease, late_from=late_from)
    if kind is not None and answer.hub is not None:
        async with deps.sessions() as session, session.begin():
            await note_hub(session, source.id, answer.hub, deps.clock.now())
    return kind


async def settle(
    deps: WatcherDeps,
    source: SourceState,
    answer: Answer,
    *,
    lease: str | None = None,
    late_from: datetime | None = None,
) -> OutcomeKind | None:
    """Decide what an answer (polled or pushed) comes to for a source, and store it.

    With a ``lease`` (a claimed poll's), the outcome is stored only while the source is still
    leased to it; None when it was not. From ``late_from`` on, the lease may have passed on.
    """
    now, jitter = deps.clock.now(), draw_jitter()

    def decision(state: SourceState, history: History | None) -> Outcome:
        return decide(
            state,
            answer,
            read_under=source.rules,
            history=history,
            now=now,
            jitter=jitter,
            failure_threshold=deps.failure_threshold,
            gone_after=deps.gone_after,
        )

    if answer.content is None and answer.error is None:
        # Nothing new and, unless it recovers, no status to change: decided on the row as
        # claimed and written in a batched UPDATE, without reading the row again.
        quiet = decision(source, None)
        # The batched write cannot tell whether it was stored: a poll past its fetch window
        # goes the way below, so one that outlasted its lease reports nothing.
        if quiet.quiet and (late_from is None or now < late_from):
            # Not written if the lease passed to a newer poll meanwhile (source_rows), whose
            # outcome stands: within its fetch window it cannot have.
            await deps.writes.quiet(quiet, lease)
            _tell(quiet)
            return quiet.kind
    # New content, a failure or a recovery: decided again on the row read under its lock.
    outcome = await deps.writes.write(
        partial(
            store_outcome,
            source_id=source.id,
            decide=decision,
            history=answer.content is not None,
            admin_url=deps.admin_url,
            lock=not deps.sqlite,
            lease=lease,
        ),
        light=_light(source, answer),
    )
    if outcome is None:
        return OutcomeKind.GONE
    if isinstance(outcome, LeaseLost):
        log.warning(
            "watcher: the poll of %s outlasted its lease; the source was claimed again (by %s)"
            " and this poll's outcome was dropped",
            source.url,
            outcome.holder or "a poll since finished",
        )
        return None
    _tell(outcome)
    return outcome.kind


def _light(source: SourceState, answer: Answer) -> bool:
    """Whether storing an answer may hold the event loop (group_writes): one without content,
    or a page's parsed there (PARSE_ON_LOOP_BYTES), whose comparison with the stored text
    takes about as long as that parse; not a feed's, a document's or a larger page's."""
    if answer.content is None:
        return True
    return answer.body_bytes is not None and fits_the_loop(source.rules.kind, answer.body_bytes)


def _tell(outcome: Outcome) -> None:
    notice = outcome.notice
    if notice is not None:
        log.log(notice.level, notice.message, *notice.args)


async def _answer(deps: WatcherDeps, source: SourceState, fetch_by: float | None) -> Answer:
    """Fetch a source (by ``fetch_by`` on the loop's clock, if given); parse the body when its
    bytes are new (off the event loop)."""
    full = asks_in_full(source.id, source.last_checked_at, deps.clock.now())
    try:
        fetched = await deps.fetcher.fetch(
            source.url,
            etag=None if full else source.etag,
            last_modified=None if full else source.last_modified,
            deadline=fetch_by,
        )
    except NoTurn:
        raise  # the host's other polls held its turns: not the source's failure (poll)
    except FetchDeadline:
        return Answer.failed(
            f"timed out fetching {source.url}: a poll's fetch, redirects included, must end"
            f" within {FETCH_WITHIN.total_seconds():g}s"
        )
    except FetchError as exc:
        return Answer.failed(
            str(exc), missing=exc.status in MISSING_STATUSES, retry_after=exc.retry_after
        )
    except Exception as exc:
        log.exception("watcher: unexpected error fetching %s", source.url)
        return Answer.failed(f"unexpected error: {type(exc).__name__}")
    if fetched.not_modified:
        return Answer(not_modified=True)
    if leads_to_front_page(source.url, fetched.url):
        return Answer.failed(front_page_reason(source.url, fetched.url))
    if leads_to_another_site(source.url, fetched.url):
        return Answer.failed(another_site_reason(source.url, fetched.url))
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    if source.has_bytes(body_hash):
        return Answer(body_hash=body_hash, etag=fetched.etag, last_modified=fetched.last_modified)
    if source.read_too_long(body_hash):
        # Read again, the same bytes took as long to fail as they did (a PDF's 30 s of the
        # thread that parses every feed and PDF, at every poll): failed as before, unread.
        return Answer.failed(f"{CONTENT_PREFIX}{NOT_READ_AGAIN}", unread=source.body_hash)
    redirected = led_elsewhere(source.url, fetched.url)
    try:
        content = await parse_body(
            deps.worker, source, fetched.body, fetched.content_type, redirected=redirected
        )
        earlier = await read_as_before(
            deps.worker, source, fetched.body, fetched.content_type, content, redirected=redirected
        )
    except OverBudget as exc:
        return Answer.failed(f"{CONTENT_PREFIX}{exc}", unread=unread_mark(body_hash))
    except ContentError as exc:
        return Answer.failed(f"{CONTENT_PREFIX}{exc}")
    except Exception as exc:
        # A body the parsers trip over is a failed poll like any other: counted, shown and told
        # to operators. Raised, it ended the poll before anything was stored, the source
        # showed as working, and its next claim crashed again.
        if not source.consecutive_failures:  # the trace once, not at every poll
            log.exception("watcher: unexpected error reading the body from %s", source.url)
        return Answer.failed(f"unexpected error: {type(exc).__name__} reading the body")
    hub, cut, page = None, None, source.rules.kind == SourceKind.PAGE
    if source.rules.kind == SourceKind.FEED:
        hub = discover(fetched.body, fetched.links, source.url)
        cut = cut_short(fetched.body)
    return Answer(
        body_hash=body_hash,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        content=content,
        hub=hub,
        moved_to=fetched.url if fetched.url != source.url else None,
        earlier=earlier,
        cut=cut,
        unclosed=cut is not None or (page and unclosed(fetched.body)),
        ended_by_close=fetched.ended_by_close,
        body_bytes=len(fetched.body),
    )
