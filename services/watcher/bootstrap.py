"""Wiring of the watcher service: sync the catalogue, then poll due sources."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.fetcher import HttpFetcher
from services.watcher.adapters.hub_client import HubClient
from services.watcher.adapters.tables import (
    HubSubscription,
    PublisherKey,
    PushDigest,
    PushedBody,
    Snapshot,
    WatchedSource,
)
from services.watcher.catalogue_sync import sync_catalogue
from services.watcher.domain.outcome import OutcomeKind
from services.watcher.domain.websub import RETRY_AFTER
from services.watcher.handlers import Claim, WatcherDeps, claim_due, poll
from services.watcher.retention import purge_push_keys, purge_snapshots
from services.watcher.websub import HubSettings, request_subscriptions, take_pushes
from shared.db import Base
from shared.failing_passes import PassFailures
from shared.housekeeping import run_retention
from shared.runtime import Runtime
from shared.scheduled import Jobs
from shared.unreachable import is_database_unreachable

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction was ended so that
# another could go on, and trying it again is what the server asks.
_RETRIED: Final = frozenset({"40P01", "40001"})
# How often the watcher looks for WebSub subscriptions due a request or renewal.
HUB_SECONDS: Final = 10
# The service's tables, registered with the composition root (varsel.schema).
TABLES: Final[tuple[type[Base], ...]] = (
    WatchedSource,
    Snapshot,
    HubSubscription,
    PushedBody,
    PushDigest,
    PublisherKey,
)


class Watcher:
    """Polls due sources with bounded concurrency."""

    def __init__(self, runtime: Runtime, *, concurrency: int = 20) -> None:
        settings = runtime.settings
        self._runtime = runtime
        self.deps = WatcherDeps(
            sessions=runtime.sessions,
            fetcher=HttpFetcher(
                timeout=settings.fetch_timeout_seconds,
                max_bytes=settings.fetch_max_bytes,
                max_redirects=settings.fetch_max_redirects,
                per_host=settings.per_host_concurrency,
                allow_private=settings.allow_private_addresses,
                user_agent=settings.resolved_user_agent,
            ),
            clock=runtime.clock,
            failure_threshold=settings.failure_threshold,
            gone_after=timedelta(days=settings.page_gone_after_days),
            owner=f"{socket.gethostname()}:{os.getpid()}",
            sqlite=runtime.engine.dialect.name == "sqlite",
            admin_url=settings.resolved_admin_url,
        )
        self.hubs = HubSettings(
            base_url=settings.base_url,
            allow_loopback_callback=settings.websub_loopback_callback_for_tests_only,
            lease_seconds=settings.websub_lease_seconds,
        )
        self._hub_client = HubClient(
            timeout=settings.fetch_timeout_seconds,
            allow_private=settings.allow_private_addresses,
            user_agent=settings.resolved_user_agent,
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        # Each job runs every second or few: with the database down, one line now and then.
        self._claims_failing = PassFailures(log, "watcher: claiming due sources")
        self._pushes_failing = PassFailures(log, "watcher: taking pushed feeds")
        self._hubs_failing = PassFailures(log, "watcher: asking WebSub hubs")
        self._stores_failing = PassFailures(log, "watcher: storing a poll")

    async def start(self) -> None:
        """Bring the sources table in line with the catalogue."""
        await self.sync_sources()

    async def sync_sources(self) -> None:
        """Bring the sources table in line with the catalogue as this process last read it."""
        for attempt in range(3):
            try:
                async with self._runtime.sessions() as session, session.begin():
                    await sync_catalogue(
                        session, self._runtime.catalogue.sources, self._runtime.clock.now()
                    )
                return
            except DBAPIError as exc:
                # Replicas starting together race to insert new sources (the loser syncs again
                # against what the winner wrote) or to update them: PostgreSQL ends one of two
                # syncs that wait on each other's rows (a deadlock), and that one syncs again.
                # Raised, it stopped the replica at start.
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if attempt == 2 or not (isinstance(exc, IntegrityError) or sqlstate in _RETRIED):
                    raise
                log.info("watcher: another replica synced the catalogue at the same time")

    def schedule(self, jobs: Jobs) -> None:
        """Add the watcher's jobs: claim due sources and take pushes every second, ask hubs."""
        minutes = f"{RETRY_AFTER.total_seconds() / 60:.0f} minutes"
        every = (
            # A claim cut short leased its sources for LEASE at most, or rolled back.
            (self.tick, 1, "claiming the sources due a poll", "the next start polls them"),
            # A pushed body is kept until it has been compared.
            (self.take_pushes, 1, "comparing what WebSub hubs pushed", "the next start does"),
            # A claimed request is asked again after RETRY_AFTER, whether this process lives on
            # or not.
            (
                self.ask_hubs,
                HUB_SECONDS,
                "asking WebSub hubs to push feeds",
                f"the hubs it was asking are asked again in {minutes}",
            ),
        )
        for job, seconds, what, then in every:
            jobs.add(
                job,
                cut=f"cut {what} short; {then}",
                trigger="interval",
                seconds=seconds,
                max_instances=1,
                coalesce=True,
            )

    async def tick(self) -> None:
        """Start polls for every due source (called every second by the scheduler)."""
        if len(self._tasks) > 100:
            return
        try:
            claims = await claim_due(self.deps)
        except Exception as exc:
            self._claims_failing.failed(exc)
            return
        self._claims_failing.succeeded()
        for claim in claims:
            task = asyncio.create_task(self._poll(claim), name="watcher-poll")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def take_pushes(self) -> None:
        """Compare what WebSub hubs pushed (called every second by the scheduler)."""
        try:
            kinds = await take_pushes(self.deps)
        except Exception as exc:
            self._pushes_failing.failed(exc)
            return
        self._pushes_failing.succeeded()
        if OutcomeKind.CHANGED in kinds:
            self._runtime.relay.wake()

    async def ask_hubs(self) -> None:
        """Ask hubs for new subscriptions, renewals and retries (every few seconds)."""
        try:
            await request_subscriptions(self.deps, self._hub_client, self.hubs)
        except Exception as exc:
            self._hubs_failing.failed(exc)
            return
        self._hubs_failing.succeeded()

    async def _poll(self, claim: Claim) -> None:
        async with self._slots:
            try:
                outcome = await poll(self.deps, claim)
            except Exception as exc:
                if is_database_unreachable(exc):
                    # Its claim lapses and the source is polled again: an outage, not a fault.
                    self._stores_failing.failed(exc)
                else:
                    log.exception("watcher: poll of source %d crashed", claim.id)
                return
            if outcome is not None:  # None: nothing was stored (no time or turn was left)
                self._stores_failing.succeeded()
        if outcome is OutcomeKind.CHANGED:
            self._runtime.relay.wake()

    async def housekeeping(self) -> dict[str, int]:
        """Delete snapshots past their period, keeping each source's latest, and old push keys
        (the hourly job)."""
        settings = self._runtime.settings

        async def purge(session: AsyncSession, now: datetime) -> dict[str, int]:
            return {
                "snapshots": await purge_snapshots(session, now, settings.snapshot_retention_days),
                "publisher_keys": await purge_push_keys(
                    session, now, settings.publisher_key_retention_days
                ),
            }

        return await run_retention(self._runtime, "watcher", purge)

    async def finish(self, grace: float) -> set[asyncio.Task[Any]]:
        """Let running polls and their writes finish within ``grace`` s; return what still runs.

        On a database that stopped answering, a poll's write waits for ever: the caller drops
        the connections that wait and cancels what this returns, then calls ``close``.
        """
        running: set[asyncio.Task[Any]] = set(self._tasks) | self.deps.writes.running()
        if running:
            _, running = await asyncio.wait(running, timeout=grace)
        # A poll that fetched until the grace's end may have handed its write over since.
        return running | self.deps.writes.running()

    async def close(self, within: float | None = None) -> None:
        """Close connections, waiting up to ``within`` s (None: no bound) for writes under way."""
        await self._hub_client.aclose()
        await self.deps.aclose(within)

    async def stop(self, grace: float = 30.0) -> None:
        """Let running polls finish (for ``grace`` seconds at most), then close connections."""
        for task in await self.finish(grace):
            task.cancel()
        await self.close(grace)
