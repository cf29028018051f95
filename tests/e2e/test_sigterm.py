"""SIGTERM ends a real ``varsel run`` process cleanly: work in flight is finished or handed back.

Mailer: a slow SMTP server, a few hundred queued alerts, SIGTERM while mails are in flight. The
process exits 0; nothing stays leased; a new process sends the rest, each person exactly once.
Watcher: SIGTERM while polls of a slow site are running; no source stays leased.
PostgreSQL, as in the distributed mode.
A scheduled job cut short by SIGTERM (the watcher asking a slow WebSub hub) ends in one plain
line, never a traceback an operator would read as a crash; SQLite, as in the embedded mode.
A database or a broker that has gone silent holds the process no longer than Kubernetes waits
between SIGTERM and SIGKILL, and is named in one line, without its password.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.mailer.adapters.tables import Delivery
from services.watcher.adapters.tables import WatchedSource
from shared.db import session_factory
from tests.e2e.websub_support import FEED_CATALOGUE, feed
from tests.support.broker import rabbitmq_namespace
from tests.support.databases import migrated_postgres_database
from tests.support.falls_silent import FallsSilent, through_a_proxy
from tests.support.seed import TOPIC, address, insert_immediate_subscribers, record_change
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess, wait_until
from varsel.app import REQUEST_GRACE_SECONDS

PEOPLE = 300
# Generous: a bound on a hang, not a measure of speed.
EXIT_WITHIN = 30.0
PATIENCE = 180.0
STARTUP = 90.0
# Inside Kubernetes' 30 s between SIGTERM and SIGKILL, with room for the process's own start
# and end (a bound on a hang, as above).
EXIT_BEFORE_SIGKILL = 25.0


def write_catalogue(directory: Path, sources: str = "") -> Path:
    """Write a one-topic catalogue (plus any sources) and return its path."""
    path = directory / "catalogue.toml"
    path.write_text(
        f'[[topics]]\nslug = "{TOPIC}"\ntitle = {{ nb = "Norge i verden" }}\n{sources}',
        encoding="utf-8",
    )
    return path


async def seed_alerts(url: str) -> None:
    """Insert confirmed immediate subscribers and record one change for their topic."""
    engine = create_async_engine(url)
    try:
        sessions = session_factory(engine)
        await insert_immediate_subscribers(sessions, PEOPLE, TOPIC)
        await record_change(sessions, TOPIC)
    finally:
        await engine.dispose()


async def _deliveries(url: str) -> list[tuple[str, datetime | None, datetime | None]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Delivery.status, Delivery.lease_until, Delivery.next_attempt_at)
            )
            return [(r.status, r.lease_until, r.next_attempt_at) for r in rows.all()]
    finally:
        await engine.dispose()


def deliveries(url: str) -> list[tuple[str, datetime | None, datetime | None]]:
    """Return (status, lease_until, next_attempt_at) of every delivery."""
    return asyncio.run(_deliveries(url))


def statuses(url: str) -> Counter[str]:
    """Count deliveries per status."""
    return Counter(status for status, _, _ in deliveries(url))


@pytest.fixture
def slow_smtp() -> Iterator[SmtpServer]:
    """A loopback SMTP server that takes a while over each mail."""
    server = SmtpServer()
    # Slow enough that one claimed batch (200 mails, 8 at a time) outlasts the shutdown grace
    # period: only handing back, not finishing the batch, lets the process stop cleanly.
    server.mailbox.delay = 1.0
    server.start()
    yield server
    server.stop()


def test_sigterm_hands_unsent_mail_back_and_a_new_mailer_sends_the_rest_once(
    tmp_path: Path, slow_smtp: SmtpServer
) -> None:
    mailbox = slow_smtp.mailbox
    with migrated_postgres_database() as url:
        asyncio.run(seed_alerts(url))
        env = {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_SMTP_URL": slow_smtp.url,
            "VARSEL_CONFIG": str(write_catalogue(tmp_path)),
            "VARSEL_MAIL_POLL_SECONDS": "0.2",
            "VARSEL_LOG_FORMAT": "json",
        }
        first = VarselProcess(tmp_path, env, "mailer", name="mailer-1", migrate=False)
        second = VarselProcess(tmp_path, env, "mailer", name="mailer-2", migrate=False)
        try:
            first.start(timeout=STARTUP)
            wait_until(lambda: len(mailbox.messages) >= 20, "the first mails", PATIENCE)
            status = first.terminate(EXIT_WITHIN)
            received_at_exit = len(mailbox.messages)
            after_exit = deliveries(url)

            second.start(timeout=STARTUP)
            wait_until(
                lambda: statuses(url) == {"sent": PEOPLE}, f"{PEOPLE} sent deliveries", PATIENCE
            )
            time.sleep(1.0)  # anything sent twice would arrive now
            second.terminate(EXIT_WITHIN)
        finally:
            first.kill()
            second.kill()

    assert status == 0, first.log()
    assert '"level": "error"' not in first.log(), first.log()
    left = Counter(s for s, _, _ in after_exit)
    assert left["sending"] == 0, f"deliveries left leased by the stopped mailer: {left}"
    assert left["queued"] > 0, "SIGTERM came too late to test the hand-back"
    # Every mail the server accepted was recorded as sent before the process ended.
    assert left["sent"] == received_at_exit
    handed_back = [(lease, due) for s, lease, due in after_exit if s == "queued"]
    assert all(lease is None for lease, _ in handed_back)
    # Handed back to be sent at once, not after a back-off.
    assert all(due is not None and due <= datetime.now(UTC) for _, due in handed_back)

    per_person = Counter(r for m in mailbox.messages for r in m.recipients)
    assert {r for r, c in per_person.items() if c > 1} == set(), "someone got the alert twice"
    assert set(per_person) == {address(n) for n in range(PEOPLE)}


class SlowSite:
    """A loopback web server whose every page takes ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.hits = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.hits += 1
                time.sleep(delay)
                body = f"<html><body><main><h1>Side</h1><p>{self.path}</p></main></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


async def _leased(url: str) -> list[str | None]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(WatchedSource.lease_owner).where(WatchedSource.lease_until.is_not(None))
            )
            return [r.lease_owner for r in rows.all()]
    finally:
        await engine.dispose()


async def _sources(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count(WatchedSource.id))) or 0)
    finally:
        await engine.dispose()


def test_sigterm_during_a_poll_round_leaves_no_source_leased(tmp_path: Path) -> None:
    site = SlowSite(delay=3.0)
    sources = "".join(
        f'\n[[sources]]\nurl = "{site.base_url}/side-{n}"\nkind = "page"\n'
        f'topics = ["{TOPIC}"]\ninterval = "1m"\n'
        for n in range(12)
    )
    with migrated_postgres_database() as url:
        env = {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_CONFIG": str(write_catalogue(tmp_path, sources)),
            "VARSEL_ALLOW_PRIVATE_ADDRESSES": "true",
            "VARSEL_LOG_FORMAT": "json",
        }
        watcher = VarselProcess(tmp_path, env, "watcher", name="watcher", migrate=False)
        try:
            watcher.start(timeout=STARTUP)
            wait_until(lambda: bool(asyncio.run(_leased(url))), "a poll in progress", PATIENCE)
            status = watcher.terminate(EXIT_WITHIN)
            leased = asyncio.run(_leased(url))
            known = asyncio.run(_sources(url))
        finally:
            watcher.kill()
            site.stop()

    assert status == 0, watcher.log()
    assert known == 12
    assert leased == [], f"sources left leased after SIGTERM: {leased}"


class StalledHub:
    """A loopback WebSub hub that takes a subscription request and answers only when told."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hub.asked.set()
                hub.release.wait(timeout=60)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Answer whatever waits, and stop serving."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def test_sigterm_cuts_a_running_job_in_one_plain_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    site, hub = FixtureSite(), StalledHub()
    site.start()
    feed_url = f"{site.base_url}/nyheter.rss"
    atom = feed(hub.url, feed_url, ["Eldre sak"])
    site.set("/nyheter.rss", Resource(atom, "application/rss+xml"))
    config = tmp_path / "varsel.toml"
    config.write_text(FEED_CATALOGUE.format(url=feed_url), encoding="utf-8")
    env = {
        "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
        "VARSEL_CONFIG": str(config),
        "VARSEL_WEBSUB_LOOPBACK_CALLBACK_FOR_TESTS_ONLY": "true",
    }
    varsel = VarselProcess(tmp_path, env)
    try:
        varsel.start(timeout=STARTUP)
        # The feed's first poll finds the hub; the watcher's job then asks it, and waits.
        wait_until(hub.asked.is_set, "the watcher asking the hub", PATIENCE)
        status = varsel.terminate(EXIT_WITHIN)
    finally:
        varsel.kill()
        hub.stop()
        site.stop()

    log = varsel.log()
    assert status == 0, log
    assert "Traceback" not in log and "CancelledError" not in log, log
    assert " ERROR " not in log, log
    cut = [line for line in log.splitlines() if "shutdown: cut" in line]
    assert len(cut) == 1, log
    assert "asking WebSub hubs" in cut[0] and "asked again in 60 minutes" in cut[0]


def test_sigterm_answers_a_request_still_running_503_saying_so_in_one_plain_line(
    tmp_path: Path,
) -> None:
    # Before, uvicorn logged the cancellation of a request still running REQUEST_GRACE_SECONDS
    # after SIGTERM as an ERROR with its traceback, which an operator reads as a crash, and
    # answered 500.
    env = {
        "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
        "VARSEL_CONFIG": str(write_catalogue(tmp_path)),
    }
    token = "a-token-not-to-be-logged"
    varsel = VarselProcess(tmp_path, env)
    try:
        varsel.start(timeout=STARTUP)
        with socket.create_connection(("127.0.0.1", varsel.port), timeout=EXIT_WITHIN) as client:
            # A body that stops coming: the request waits for the rest of it.
            client.sendall(
                f"POST /one-click/{token}?also={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nList-".encode()
            )
            time.sleep(1.0)  # read, and waiting for the rest of its body
            status = varsel.terminate(EXIT_WITHIN)
            answer = client.recv(65536)
    finally:
        varsel.kill()

    log = varsel.log()
    assert status == 0, log
    assert answer.startswith(b"HTTP/1.1 503 "), answer
    assert "Traceback" not in log and " ERROR " not in log, log
    assert token not in log, log
    cancelled = [line for line in log.splitlines() if "shutdown: cancelled" in line]
    assert len(cancelled) == 1, log
    said = " WARNING varsel.cancelled_requests: shutdown: cancelled POST /one-click/{token}, "
    assert said in cancelled[0]
    assert f"still running {REQUEST_GRACE_SECONDS} s after SIGTERM; answered 503" in cancelled[0]


def test_sigterm_while_the_database_has_gone_silent_exits_in_time_saying_why(
    tmp_path: Path,
) -> None:
    # Before, uvicorn waited without end for a readiness probe stuck on the silent database,
    # and the services' loops were then waited for one after another, 20 s each: the process
    # outlived the 30 s between SIGTERM and SIGKILL, and said nothing of the database. Later,
    # a poll's write still waiting on the database at the end of the grace was waited for
    # without end. The site answers slowly, so a poll is under way when the silence comes;
    # whether its write then waits on a pooled connection (for ever) or on a new one (which
    # times out) is up to the pool: test_database_goes_silent holds the former.
    site = SlowSite(delay=2.0)
    sources = "".join(
        f'\n[[sources]]\nurl = "{site.base_url}/side-{n}"\nkind = "page"\n'
        f'topics = ["{TOPIC}"]\ninterval = "30s"\n'
        for n in range(3)
    )
    with through_a_proxy(write_catalogue(tmp_path, sources)) as (proxy, secret, env):
        varsel = VarselProcess(tmp_path, env, migrate=False)
        try:
            varsel.start(timeout=STARTUP)
            wait_until(lambda: site.hits >= 3, "the first polls", PATIENCE)
            proxy.silence()
            with contextlib.suppress(httpx.HTTPError):  # a probe, which gives up at 3 s
                httpx.get(f"{varsel.base_url}/readyz", timeout=3)
            status = varsel.terminate(EXIT_WITHIN)
        finally:
            varsel.kill()
            proxy.close()
            site.stop()

    log = varsel.log()
    assert status == 0, log
    assert secret not in log
    said = [line for line in log.splitlines() if "did not answer on" in line]
    assert len(said) == 1, log
    assert " WARNING varsel.app: shutdown: " in said[0]
    assert f"127.0.0.1:{proxy.port}" in said[0] and "***" in said[0]


def test_sigterm_while_start_up_waits_on_a_silent_database_ends_it_at_once_saying_so(
    tmp_path: Path,
) -> None:
    # Before, uvicorn heeded SIGTERM only once start-up was done, and start-up waited for ever
    # on a statement the database never answered: the process neither started nor stopped.
    # Connection 0 is the schema check before start-up; 1 is start-up's first.
    silent_at = 1
    with through_a_proxy(write_catalogue(tmp_path), at_first_statement_of=silent_at) as (
        proxy,
        secret,
        env,
    ):
        varsel = VarselProcess(tmp_path, env, migrate=False)
        try:
            varsel.spawn()
            wait_until(
                lambda: "Waiting for application startup" in varsel.log(), "start-up", PATIENCE
            )
            time.sleep(3.0)  # held by the silent database
            assert "startup complete" not in varsel.log()
            status = varsel.terminate(EXIT_WITHIN)
        finally:
            varsel.kill()
            proxy.close()

    log = varsel.log()
    assert status == -signal.SIGTERM, log  # as SIGTERM ends a process before it serves
    assert secret not in log
    said = [line for line in log.splitlines() if "into start-up, before it finished" in line]
    assert len(said) == 1, log
    assert f"127.0.0.1:{proxy.port}" in said[0] and "***" in said[0]


def test_sigterm_while_the_broker_has_gone_silent_exits_in_time_saying_why(
    tmp_path: Path,
) -> None:
    # Before, stopping the bus waited for RabbitMQ to answer the cancelling of each consumer
    # and the closing of the connection, which a broker that stopped answering never does.
    with (
        rabbitmq_namespace("varsel-sigterm") as broker,
        migrated_postgres_database() as url,
    ):
        proxy = FallsSilent("127.0.0.1", 5672)
        through = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
        env = {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_CONFIG": str(write_catalogue(tmp_path)),
            **broker,
            "VARSEL_BROKER_URL": through,
        }
        varsel = VarselProcess(tmp_path, env, migrate=False)
        try:
            varsel.start(timeout=STARTUP)
            proxy.silence()
            status = varsel.terminate(EXIT_BEFORE_SIGKILL)
        finally:
            varsel.kill()
            proxy.close()

    log = varsel.log()
    assert status == 0, log
    assert "guest:guest@" not in log, log
    said = [line for line in log.splitlines() if "did not answer" in line]
    assert len(said) == 1, log
    assert " WARNING shared.rabbitmq: bus: RabbitMQ at " in said[0]
    assert f"guest:***@127.0.0.1:{proxy.port}" in said[0]
    assert "dropped the connection" in said[0]
    # aiormq's own line for the call cut short is left out: the bus's says it.
    assert [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line] == said
