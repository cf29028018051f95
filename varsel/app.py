"""The composition root: build an ASGI app running one or all services on a runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

import uvicorn
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import abort_connections, answered_on_time, connections_in_use
from shared.housekeeping import purge_bus_records, run_retention
from shared.runtime import Runtime
from shared.scheduled import Jobs
from shared.settings import Settings
from shared.unreachable import is_database_unreachable
from shared.web.edge import install_edge
from varsel.cancelled_requests import CancelledAtShutdown, quiet_uvicorn_cancelling
from varsel.live_catalogue import CatalogueFollower
from varsel.metrics import may_read_metrics, render_metrics
from varsel.readiness import Readiness

if TYPE_CHECKING:
    from services.mailer.bootstrap import Mailer
    from services.mailer.returned_mail import ReturnedMail
    from services.watcher.bootstrap import Watcher

# A process imports the services it runs, and no other: all of them together are more than a
# second of CPU at every start (bench/startup.py), and the watcher's page reading alone is
# most of a mailer's memory. So the services are imported inside the functions below.

log = logging.getLogger(__name__)

SERVICES: Final = ("subscriptions", "watcher", "mailer", "admin", "bounces")
# Kubernetes waits 30 s between SIGTERM and SIGKILL by default; stay inside that, whatever
# waits. Requests in flight get the first seconds (uvicorn then cancels them), the background
# work the grace after them, all of it together; what still waits then (on a database that
# stopped answering, nothing else ends it) has its connections dropped and is cancelled.
REQUEST_GRACE_SECONDS: Final = 5
SHUTDOWN_GRACE_SECONDS: Final = 15.0
# Saying goodbye to the SMTP relay after the grace: a relay cut off with the database (a
# partition) gets this long, not QUIT's 5 s; its connections are closed all the same. The
# worst case, everything cut off and a request running at SIGTERM: the requests' 5 s, the
# grace, the cancelling's 2 s, this 1 s, the broker's two answers at 0.5 s each
# (shared.rabbitmq) and the closing of the database's connections, 3 s
# (shared.runtime.CLOSE_SECONDS): 27 s, inside the 30 s.
SMTP_GOODBYE_SECONDS: Final = 1.0
# What is cancelled ends in this: its waits on the database fail at once once dropped.
CANCEL_SECONDS: Final = 2.0
RELEASE_POLL_SECONDS: Final = 0.05
# A scheduled job cut by shutdown only rolls back: a few seconds, out of the grace above.
JOB_CUT_SECONDS: Final = 5.0
# How long /metrics waits for a connection and the database's figures on it before serving
# the rest without them (6.25 s at most: shared.db.answered_on_time): inside Prometheus'
# scrape timeout (10 s by default).
METRICS_DATABASE_SECONDS: Final = 5.0


async def _dead_letters(runtime: Runtime) -> int | None:
    """Ask the bus for its dead-letter count; None if it keeps none or does not answer in time."""
    try:
        return await asyncio.wait_for(runtime.bus.dead_letter_count(), timeout=5)
    except Exception as exc:
        log.warning("metrics: cannot count dead letters: %s: %s", type(exc).__name__, exc)
        return None


async def _render_on(
    render: Callable[[AsyncSession], Awaitable[bytes]], connection: AsyncConnection
) -> bytes:
    """Render the metrics with a session on ``connection``."""
    async with AsyncSession(bind=connection) as session:
        return await render(session)


Job = Callable[[], Awaitable[dict[str, int]]]
HOUSEKEEPING_HOURS: Final = 1
# The first run of each housekeeping job: a minute after start, and up to a minute more drawn
# at random, so replicas restarted together do not all delete at once. Scheduled an hour after
# start, as before, every restart put retention and the vacuum after an erasure off by an hour:
# processes restarted more often than hourly never ran them (docs/privacy.md promises an erased
# row is vacuumed away within an hour).
FIRST_HOUSEKEEPING_SECONDS: Final = 60.0
FIRST_HOUSEKEEPING_JITTER_SECONDS: Final = 60.0


def first_housekeeping() -> datetime:
    """Return when a starting process first runs a housekeeping job."""
    delay = FIRST_HOUSEKEEPING_SECONDS + random.uniform(0, FIRST_HOUSEKEEPING_JITTER_SECONDS)
    return datetime.now(UTC) + timedelta(seconds=delay)


def housekeeping_jobs(
    runtime: Runtime, services: Collection[str], mailer: Mailer | None, watcher: Watcher | None
) -> dict[str, Job]:
    """Return the retention jobs a process runs, by whose records they delete.

    Each service deletes what its own retention periods let go, in its own process. The bus's
    tables (published outbox rows, handled event ids) are kept by every process: each runs the
    bus and its relay whatever services it hosts, and the deletes are idempotent, so replicas
    doing them at once cost nothing and no way of splitting the services leaves them growing.
    """
    # Partials of coroutine functions, never lambdas: APScheduler awaits a job only when it can
    # tell it is a coroutine function (a partial's too); a lambda it runs in a thread, where the
    # coroutine it returns is never awaited and the job silently does nothing.
    jobs: dict[str, Job] = {"bus": partial(run_retention, runtime, "bus", purge_bus_records)}
    if "subscriptions" in services:
        from services.subscriptions import bootstrap as subscriptions

        jobs["subscriptions"] = partial(subscriptions.housekeeping, runtime)
    if watcher is not None:
        jobs["watcher"] = watcher.housekeeping
    if mailer is not None:
        jobs["mailer"] = mailer.housekeeping
    if "admin" in services:
        from services.admin import bootstrap as admin

        jobs["admin"] = partial(admin.housekeeping, runtime)
    return jobs


async def _give_up_waiting(
    runtime: Runtime, pending: set[asyncio.Task[Any]], within: float
) -> None:
    """End what shutdown's grace left running, saying in one line what and why.

    Work waiting on a database that stopped answering (a partition, a paused server) waits
    for ever, and so does its cancellation, which rolls back on the same connection. Whatever
    still holds a connection when the grace ends (``within`` s from now) has it dropped, so
    each of those waits fails at once, and is cancelled.
    """
    # A cancelled request's or job's rollback, a last commit: looked at every RELEASE_POLL_SECONDS.
    for _ in range(math.ceil(within / RELEASE_POLL_SECONDS)):
        if not connections_in_use(runtime.engine):
            break
        await asyncio.sleep(RELEASE_POLL_SECONDS)
    in_use = connections_in_use(runtime.engine)
    names = ", ".join(sorted({task.get_name() for task in pending}))
    if in_use:
        log.warning(
            "shutdown: %s still waited %g s after the stop for the database at %s, which did "
            "not answer on %d connection(s); dropped them and cancelled what waited (leased "
            "work is taken up again when its lease runs out)",
            names or "cancelled requests or jobs",
            SHUTDOWN_GRACE_SECONDS,
            runtime.engine.url.render_as_string(hide_password=True),
            in_use,
        )
        abort_connections(runtime.engine)
    elif names:
        log.warning("shutdown: %s did not finish in time; cancelled", names)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=CANCEL_SECONDS)


class Server(uvicorn.Server):
    """uvicorn's server, except that SIGTERM during start-up ends the process at once.

    uvicorn heeds a stop only once start-up is done, and start-up waits on the database, where
    a statement has no timeout: on a database that took the connection and stopped answering
    (a partition, a paused server), the process never started and never stopped.
    """

    def __init__(self, config: uvicorn.Config, *, database: str) -> None:
        super().__init__(config)
        self._database = database
        self._began = time.monotonic()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM or self.started:
            super().handle_exit(sig, frame)
            return
        # Nothing is sent or polled before start-up ends; what the relay's first pass began,
        # a later pass does again. Ended as SIGTERM ends a process before it serves.
        log.warning(
            "varsel: stopped %.0f s into start-up, before it finished; ending at once (start-up "
            "waits on the database at %s: check that it answers if start-up hung)",
            time.monotonic() - self._began,
            self._database,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def server_config(app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """Return how uvicorn serves an app: our logging, and no trust in forwarded headers."""
    # uvicorn would believe X-Forwarded-For from loopback by default; the app believes it only
    # from VARSEL_TRUSTED_PROXIES (shared/web/edge.py).
    # A request still running REQUEST_GRACE_SECONDS after SIGTERM is cancelled: uvicorn would
    # wait for it without end, and one waiting on a database that stopped answering never ends.
    # Each says so itself (CancelledAtShutdown), in place of uvicorn's ERROR line.
    quiet_uvicorn_cancelling()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=REQUEST_GRACE_SECONDS,
    )


def bounce_intake_missing(settings: Settings, services: Collection[str]) -> str | None:
    """Say what the bounces service run alone lacks to take any report, or None."""
    # A process of the bounces service alone with neither way in would only idle.
    if tuple(services) != ("bounces",) or (
        settings.bounce_address
        and (settings.bounce_smtp_port is not None or settings.bounce_webhook_secret)
    ):
        return None
    return (
        "the bounces service needs VARSEL_BOUNCE_ADDRESS and VARSEL_BOUNCE_SMTP_PORT "
        "or VARSEL_BOUNCE_WEBHOOK_SECRET"
    )


def create_app(runtime: Runtime, services: Collection[str] = SERVICES) -> FastAPI:
    """Build the app; its lifespan starts and stops the chosen services' background work."""
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown service(s) {sorted(unknown)}; choose from {list(SERVICES)}")
    mailer = _mailer(runtime) if "mailer" in services else None
    watcher = (
        _watcher(runtime) if "watcher" in services and runtime.settings.watcher_enabled else None
    )
    housekeeping = housekeeping_jobs(runtime, services, mailer, watcher)
    settings = runtime.settings
    # Late bounces and complaints: off unless a bounce mailbox and a way in are configured.
    intake = _returned_mail(runtime) if "bounces" in services else None
    listen = intake is not None and settings.bounce_smtp_port is not None
    webhook = intake is not None and bool(settings.bounce_webhook_secret)
    if (missing := bounce_intake_missing(settings, services)) is not None:
        raise ValueError(missing)
    follower = CatalogueFollower(runtime, watcher)
    # The bounce intake takes no events (it records them): running it apart needs no broker.
    elsewhere = [name for name in SERVICES if name not in services and name != "bounces"]
    if elsewhere and not settings.broker_url:
        # Without a broker each process's relay hands events to its own services only, and
        # marks them published: a service running in another process would never get them.
        log.warning(
            "varsel: %s run here without VARSEL_BROKER_URL, so their events reach only this "
            "process; run %s in this process too or not at all, or set VARSEL_BROKER_URL to "
            "run services apart",
            ", ".join(services),
            ", ".join(elsewhere),
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if "subscriptions" in services:
            from services.subscriptions import bootstrap as subscriptions

            await subscriptions.record_privacy_notices(runtime)
        await follower.start()
        jobs = Jobs()
        tasks = [
            asyncio.create_task(runtime.relay.run(runtime.stop), name="outbox-relay"),
            asyncio.create_task(follower.run(runtime.stop), name="catalogue"),
        ]
        await runtime.bus.start()
        listener = None
        if listen and intake is not None and settings.bounce_smtp_port is not None:
            from services.mailer.entrypoints.bounce_listener import start_listener

            listener = await start_listener(
                intake, settings.bounce_smtp_host, settings.bounce_smtp_port
            )
        if watcher is not None:
            await watcher.start()
            watcher.schedule(jobs)
        if mailer is not None:
            from services.mailer.entrypoints.digest_schedule import (
                schedule_digests,
                schedule_review_reminders,
            )
            from services.mailer.entrypoints.sending import send_until_stopped

            tasks.append(
                asyncio.create_task(
                    send_until_stopped(
                        mailer.worker,
                        runtime.stop,
                        runtime.settings.mail_poll_seconds,
                        rest=mailer.sender.close,
                    ),
                    name="mailer",
                )
            )
            schedule_digests(jobs, mailer.digests)
            schedule_review_reminders(jobs, mailer.reminders)
        for name, job in housekeeping.items():
            # Its deletions commit together, and what a cut run left the next run deletes.
            jobs.add(
                job,
                cut=f"cut the housekeeping of {name} short; it runs again "
                "within two minutes of the next start",
                name=f"housekeeping:{name}",
                trigger="interval",
                hours=HOUSEKEEPING_HOURS,
                next_run_time=first_housekeeping(),
                max_instances=1,
            )
        jobs.start()
        app.state.scheduler = jobs.scheduler
        try:
            yield
        finally:
            loop = asyncio.get_running_loop()
            ends = loop.time() + SHUTDOWN_GRACE_SECONDS

            def left() -> float:
                return max(0.0, ends - loop.time())

            runtime.stop.set()
            await jobs.stop(min(JOB_CUT_SECONDS, left()))
            if listener is not None:
                listener.close()
            # Polls and their writes, the mailer handing unsent mails back and the relay ending
            # its pass, all in the same grace; whatever is still running then is cancelled,
            # its leases run out on their own, and a later process takes its work up.
            pending: set[asyncio.Task[Any]] = set()
            if watcher is not None:
                pending |= await watcher.finish(left())
            if tasks:
                _, left_running = await asyncio.wait(tasks, timeout=left())
                pending |= left_running
            await _give_up_waiting(runtime, pending, left())
            if watcher is not None:
                await watcher.close(0)  # its writes had their time above
            if mailer is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(left(), SMTP_GOODBYE_SECONDS)):
                        await mailer.sender.close()
            # A broker that stopped answering is not waited for past the grace either.
            await runtime.close(left())

    app = FastAPI(
        title="varsel",
        summary="Email alerts when public pages, feeds and reports change.",
        lifespan=lifespan,
        # FastAPI's documentation pages load Swagger UI from a CDN: install_edge serves it here.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.mailer = mailer
    app.state.watcher = watcher
    app.state.housekeeping = housekeeping

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    readiness = Readiness(runtime, services)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        status_code, body = await readiness.check()
        return JSONResponse(body, status_code=status_code)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        client = request.client.host if request.client else None
        if not may_read_metrics(client, settings.metrics_networks):
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        broker = await runtime.broker_answers()
        # A broker that is away would only make the dead-letter count wait for its timeout.
        dead_letters = await _dead_letters(runtime) if broker is not False else None
        now = runtime.clock.now()
        smtp = mailer.worker.relay.unreachable_for(now) if mailer is not None else None
        # Files have no relay to limit them: the gauge is for a mailer sending over SMTP.
        connections = mailer.sender.connections() if mailer and settings.smtp_url else None
        render = partial(
            render_metrics,
            now=now,
            dead_letters=dead_letters,
            smtp_unreachable_for=smtp,
            smtp_connections=connections,
            broker_reachable=broker,
        )
        try:
            # A database that stopped answering would hold each scrape, and its connection,
            # for ever: scrapes piled up until the pool was gone.
            body = await answered_on_time(
                runtime.engine, METRICS_DATABASE_SECONDS, partial(_render_on, render)
            )
        except (ConnectionError, DBAPIError) as exc:
            if not is_database_unreachable(exc):
                raise
            body = await render(None)  # the process's own gauges, without the database's
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    hooked = intake if webhook else None
    staff_paths, body_limits = _install_services(app, runtime, services, hooked)
    # Inside the edge: the request id is on its line, the answer gets the edge's headers, and
    # the route it names is matched on the scope the routes see.
    app.add_middleware(CancelledAtShutdown, grace=REQUEST_GRACE_SECONDS)
    install_edge(app, runtime.settings, staff_paths=staff_paths, body_limits=body_limits)
    return app


def _mailer(runtime: Runtime) -> Mailer:
    from services.mailer.bootstrap import Mailer

    return Mailer(runtime)


def _watcher(runtime: Runtime) -> Watcher:
    from services.watcher.bootstrap import Watcher

    return Watcher(runtime)


def _returned_mail(runtime: Runtime) -> ReturnedMail | None:
    from services.mailer.bootstrap import returned_mail

    return returned_mail(runtime)


def _install_services(
    app: FastAPI, runtime: Runtime, services: Collection[str], webhook: ReturnedMail | None
) -> tuple[tuple[str, ...], Mapping[str, int] | None]:
    """Install the chosen services' routes; return the paths that take the staff side's larger
    bodies, and the admin's limits for them."""
    admin_paths: tuple[str, ...] = ()
    hub_paths: tuple[str, ...] = ()
    webhook_paths: tuple[str, ...] = ()
    body_limits = None
    if "subscriptions" in services:
        from services.subscriptions import bootstrap as subscriptions
        from services.watcher.entrypoints import hub_callback
        from services.watcher.websub import CALLBACK_PATH

        subscriptions.install(app, runtime)
        # A WebSub hub calls back where the public pages are served (ADR 0013).
        hub_callback.install(app, runtime.sessions, runtime.clock)
        hub_paths = (CALLBACK_PATH,)  # a hub pushes whole feeds
    if "admin" in services:
        from services.admin import bootstrap as admin

        admin.install(app, runtime)
        # The staff side, reports that return a whole mail, and feeds pushed by WebSub hubs
        # take larger bodies than the public pages.
        admin_paths = admin.PATHS
        body_limits = admin.BODY_LIMITS
    if webhook is not None:
        from services.mailer.entrypoints import bounce_webhook

        bounce_webhook.install_webhook(app, webhook, runtime.settings.bounce_webhook_secret)
        webhook_paths = (bounce_webhook.PATH,)
    return admin_paths + hub_paths + webhook_paths, body_limits
