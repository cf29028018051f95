"""What every service process shares: settings, catalogue, database, bus, outbox relay, clock."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus import EventBus, InProcessBus
from shared.catalogue_file import load_catalogue
from shared.clock import Clock, OffsetClock, SystemClock
from shared.db import (
    AnswerTimedOut,
    NoConnectionInTime,
    abort_connections,
    answered_on_time,
    create_engine,
    session_factory,
)
from shared.live_catalogue import LiveCatalogue
from shared.outbox_relay import OutboxRelay
from shared.private_files import private_folder
from shared.rabbitmq import RabbitMqBus
from shared.schema import head_revision, is_newer_than_head, revision_on
from shared.settings import Settings
from shared.tokens import TokenSigner

log = logging.getLogger(__name__)

# How long closing the database connections may take before they are dropped unanswered.
CLOSE_SECONDS: Final = 3.0
# How long readiness and metrics wait for the broker to answer before taking it as away.
BROKER_PING_SECONDS: Final = 1.5
# How long readiness waits for a connection and the database's answer on it, together (2.5 s
# at most: shared.db.answered_on_time). Under a readiness probe's timeout (3 s in
# deploy/kubernetes), so a database that went silent mid-way (a partition, a frozen server)
# gets the probe a 503 saying so rather than no answer; and as long as a new connection's
# default (VARSEL_DATABASE_CONNECT_TIMEOUT_SECONDS), so a busy database's slow answer is not
# taken for silence.
DATABASE_ANSWER_SECONDS: Final = 2.0


@dataclass
class Runtime:
    """The wiring one process runs on; built by ``build_runtime``, never at import time."""

    settings: Settings
    # The file's catalogue until the database's is read at start; then kept up to date.
    catalogue: LiveCatalogue
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    relay: OutboxRelay
    clock: Clock
    signer: TokenSigner
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def ready(self) -> tuple[bool, str]:
        """Tell whether the database answers in time and its schema is current.

        The broker is asked apart (``broker_answers``): whether a process can work without it
        depends on the services it runs (varsel/readiness.py).
        """
        try:
            current = await answered_on_time(self.engine, DATABASE_ANSWER_SECONDS, revision_on)
        except NoConnectionInTime as exc:
            log.warning(
                "readiness: no connection to the database at %s within %g s (each pooled one "
                "in use, or connecting waits); not ready",
                self.engine.url.render_as_string(hide_password=True),
                DATABASE_ANSWER_SECONDS,
            )
            return False, str(exc)
        except AnswerTimedOut:
            log.warning(
                "readiness: the database at %s did not answer within %g s; not ready, and the "
                "connection that waited is dropped",
                self.engine.url.render_as_string(hide_password=True),
                DATABASE_ANSWER_SECONDS,
            )
            return False, f"database did not answer within {DATABASE_ANSWER_SECONDS:g} s"
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}"
        head = head_revision()
        if current != head and is_newer_than_head(current):
            # A rolled-back release, or an old pod beside a new one during a rolling update,
            # works on the newer schema (docs/deployment.md): it serves, and says so.
            return True, f"ok: database schema at {current}, newer than this release's {head}"
        if current != head:
            return False, f"database schema at {current}, expected {head}: run `varsel migrate`"
        return True, "ok"

    async def broker_answers(self) -> bool | None:
        """Tell whether the message broker answers now; None if the process runs without one.

        Bounded well inside a readiness probe's timeout (3 s in deploy/kubernetes): a probe
        that timed out would take the process out of service whatever the answer was to be.
        """
        ping = getattr(self.bus, "ping", None)
        if ping is None:
            return None
        try:
            return bool(await asyncio.wait_for(ping(), timeout=BROKER_PING_SECONDS))
        except TimeoutError:
            return False

    async def close(self, within: float | None = None) -> None:
        """Release connections; the bus's within ``within`` seconds (None: its own bound).

        Closing a database connection politely waits for the server to hang up, which one that
        stopped answering never does: after CLOSE_SECONDS the connections are dropped instead.
        """
        await self.bus.stop(within)
        dispose = asyncio.ensure_future(self.engine.dispose())
        _, waiting = await asyncio.wait({dispose}, timeout=CLOSE_SECONDS)
        if waiting:
            log.warning(
                "shutdown: the database at %s did not answer the closing of its connections "
                "within %g s; dropped them",
                self.engine.url.render_as_string(hide_password=True),
                CLOSE_SECONDS,
            )
            abort_connections(self.engine)
            await asyncio.wait({dispose}, timeout=CLOSE_SECONDS)


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Build the shared wiring from settings (reads the catalogue; raises CatalogueError)."""
    catalogue = LiveCatalogue(load_catalogue(settings.catalogue_path))
    if not settings.database_url:
        private_folder(settings.var_dir)
    engine = create_engine(
        settings.resolved_database_url, connect_timeout=settings.database_connect_timeout_seconds
    )
    sessions = session_factory(engine)
    bus: EventBus = (
        RabbitMqBus(settings.broker_url, sessions, namespace=settings.broker_namespace)
        if settings.broker_url
        else InProcessBus(sessions)
    )
    if clock is None and settings.clock_offset_seconds:
        clock = OffsetClock(timedelta(seconds=settings.clock_offset_seconds))
    return Runtime(
        settings=settings,
        catalogue=catalogue,
        engine=engine,
        sessions=sessions,
        bus=bus,
        relay=OutboxRelay(sessions, bus),
        clock=clock or SystemClock(),
        signer=TokenSigner(settings.secret_key),
    )
