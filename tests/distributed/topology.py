"""Six varsel processes on PostgreSQL and RabbitMQ, 200 watched pages and a seeded audience.

Two watcher, two mailer and two subscriptions processes run as separate OS processes. The
audience is seeded straight into the subscriptions tables as confirmed subscribers (Core bulk
inserts), so the expected mail is known in advance: which person follows which changed topic.
Mail is compared with that expectation as sets, and every duplicate is counted.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.schema import upgrade_async
from tests.distributed.tally import Mail, Tally, classify
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess

FREQUENCIES = ("immediate", "daily", "weekly")
# Far enough ahead that both the daily and the weekly period holding "now" have closed.
A_WEEK_LATER = timedelta(days=8)
# How many mails are left to send or being sent: asked by is_open, the condition of the claims'
# partial index (migration 0027). Asked by the status, PostgreSQL reads the whole ledger at
# every look while the mailers work.
OPEN_MAIL = "SELECT count(*) FROM mail_deliveries WHERE is_open"

PAGE = """<!doctype html>
<html lang="nb"><head><title>Kilde {n:03d} - Helsedirektoratet</title></head>
<body>
<nav><a href="/">Forside</a> <a href="/tema">Tema</a></nav>
<main><article>
<h1>Kilde {n:03d}</h1>
<p>Publisert 03.02.2021</p>
<p>Denne siden beskriver tiltak nummer {n} for bedre folkehelse i kommunene. Tiltaket gjelder
samarbeid mellom helsetjenesten, skolene og frivillige organisasjoner i hele landet.</p>
<h2>Hva gjør vi?</h2>
<p>Vi følger med på hvordan tiltaket virker, og publiserer tall og erfaringer fra kommunene
som deltar, slik at andre kan lære av dem og ta tiltaket i bruk der de bor.</p>
{extra}
</article></main>
<footer>Helsedirektoratet, Postboks 220 Skøyen, 0213 Oslo</footer>
</body></html>
"""

ADDED = (
    "<h2>Nye tall</h2><p>Kommunene har nå rapportert nye tall for tiltak nummer {n}, og "
    "resultatene viser en tydelig bedring i deltakelsen fra det forrige året.</p>"
)


@dataclass(frozen=True)
class Person:
    """One seeded, confirmed subscriber."""

    id: uuid.UUID
    email: str
    frequency: str
    topics: frozenset[str]


@dataclass(frozen=True)
class Plan:
    """What is watched, who follows what, and which pages change after the baseline."""

    sources: int
    topics: int
    changed: tuple[int, ...]
    people: tuple[Person, ...]

    def topic_of(self, source: int) -> str:
        """Return the one topic a source belongs to."""
        return f"tema-{source % self.topics:02d}"

    def expected_alerts(self) -> set[tuple[str, int]]:
        """Return (address, changed source) for every immediate alert owed."""
        return {
            (person.email, source)
            for person in self.people
            if person.frequency == "immediate"
            for source in self.changed
            if self.topic_of(source) in person.topics
        }

    def expected_digests(self) -> dict[str, tuple[str, frozenset[int]]]:
        """Return, per address owed a digest, its rhythm and the changed sources it lists."""
        owed = {}
        for person in self.people:
            if person.frequency == "immediate":
                continue
            sources = frozenset(s for s in self.changed if self.topic_of(s) in person.topics)
            if sources:
                owed[person.email] = (person.frequency, sources)
        return owed


def make_plan(subscribers: int, *, sources: int = 200, changed: int = 20, seed: int = 7) -> Plan:
    """Build a reproducible audience: rhythms in turn, one to three topics each."""
    rng = random.Random(seed)
    topics = 20
    people = tuple(
        Person(
            id=uuid.UUID(int=rng.getrandbits(128)),
            email=f"person{n:05d}@example.org",
            frequency=FREQUENCIES[n % 3],
            topics=frozenset(f"tema-{t:02d}" for t in rng.sample(range(topics), rng.randint(1, 3))),
        )
        for n in range(subscribers)
    )
    return Plan(sources, topics, tuple(sorted(rng.sample(range(sources), changed))), people)


def write_catalogue(plan: Plan, site_url: str, path: Path, interval: str = "10s") -> None:
    """Write the catalogue: the plan's topics and one page source per site path."""
    lines = []
    for t in range(plan.topics):
        lines += [
            "[[topics]]",
            f'slug = "tema-{t:02d}"',
            f'title = {{ nb = "Tema {t:02d}", en = "Topic {t:02d}" }}',
            "",
        ]
    for s in range(plan.sources):
        lines += [
            "[[sources]]",
            f'url = "{site_url}/kilde/{s:03d}"',
            'kind = "page"',
            f'topics = ["{plan.topic_of(s)}"]',
            f'interval = "{interval}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def publish_pages(
    site: FixtureSite, plan: Plan, *, changed: bool, slow: frozenset[int] = frozenset()
) -> None:
    """Serve every page; with ``changed``, the plan's changed pages get a new section.

    The ``slow`` pages answer after two seconds, so a watcher polling them is caught mid-poll.
    """
    for s in range(plan.sources):
        extra = ADDED.format(n=s) if changed and s in plan.changed else ""
        body = PAGE.format(n=s, extra=extra).encode()
        site.set(f"/kilde/{s:03d}", Resource(body, delay=2.0 if s in slow else 0.0))


async def seed(database_url: str, plan: Plan) -> None:
    """Migrate, then insert the plan's people as confirmed subscribers with Core bulk inserts."""
    await upgrade_async(database_url)
    engine = create_async_engine(database_url)
    now = datetime.now(UTC) - timedelta(days=30)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(Subscriber.__table__),
                [
                    {
                        "id": p.id,
                        "email": p.email,
                        "language": "nb",
                        "frequency": p.frequency,
                        "status": "active",
                        "created_at": now,
                        "confirmed_at": now,
                        "hard_bounces": 0,
                    }
                    for p in plan.people
                ],
            )
            await connection.execute(
                insert(Subscription.__table__),
                [
                    {"subscriber_id": p.id, "topic": topic, "started_at": now}
                    for p in plan.people
                    for topic in sorted(p.topics)
                ],
            )
    finally:
        await engine.dispose()


def query(database_url: str, sql: str) -> Any:
    """Run one read-only query against the database and return its first value."""

    async def run() -> Any:
        url = database_url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(url, timeout=10)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` until true; return the seconds waited, or fail naming ``what``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, asyncpg.PostgresError):
            pass  # the database may be restarting; ask again
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class Topology:
    """The six processes, the watched site and the SMTP server of one test."""

    root: Path
    plan: Plan
    database_url: str
    broker_url: str
    site: FixtureSite
    smtp: SmtpServer
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, VarselProcess] = field(default_factory=dict)
    public_url: str = ""
    classified: list[Mail] = field(default_factory=list)
    namespace: str = field(default_factory=lambda: f"varsel-dist-{uuid.uuid4().hex[:8]}")

    def _env(self, name: str) -> dict[str, str]:
        env = {
            "VARSEL_DATABASE_URL": self.database_url,
            "VARSEL_BROKER_URL": self.broker_url,
            "VARSEL_BROKER_NAMESPACE": self.namespace,
            "VARSEL_SMTP_URL": self.smtp.url,
            "VARSEL_CONFIG": str(self.root / "varsel.toml"),
            "VARSEL_MAIL_FROM": "Varsler <varsel@helsedir.example>",
            "VARSEL_SECRET_KEY": "distributed-secret-key-shared-by-every-process",
            "VARSEL_SITE_NAME": "Varsler",
            "VARSEL_PER_HOST_CONCURRENCY": "4",
            "VARSEL_MAIL_POLL_SECONDS": "0.5",
            **self.extra_env,
        }
        if not name.startswith("subscriptions") and self.public_url:
            # Links in mail point at the public service, whichever process builds the mail.
            env["VARSEL_BASE_URL"] = self.public_url
        return env

    def _make(self, name: str, env: dict[str, str] | None = None) -> VarselProcess:
        workdir = self.root / name
        workdir.mkdir(exist_ok=True)
        service = name.rsplit("-", 1)[0]
        process = VarselProcess(workdir, {**self._env(name), **(env or {})}, service)
        self.processes[name] = process
        return process

    def start(self) -> None:
        """Start consumers first (so their queues exist before anything is published), then the
        watchers; each group in parallel."""
        first = [self._make("subscriptions-1")]
        self.public_url = first[0].base_url
        first += [self._make(n) for n in ("subscriptions-2", "mailer-1", "mailer-2")]
        _start_all(first)
        _start_all([self._make(n) for n in ("watcher-1", "watcher-2")])

    def restart(self, *names: str, env: dict[str, str] | None = None) -> None:
        """Start fresh processes in place of the named ones (already stopped or killed)."""
        _start_all([self._make(n, env) for n in names])

    def stop(self, *names: str) -> None:
        """Stop processes gracefully (SIGTERM)."""
        with ThreadPoolExecutor(len(names) or 1) as pool:
            list(pool.map(lambda n: self.processes[n].stop(), names))

    def stop_all(self) -> None:
        """Stop every process."""
        self.stop(*self.processes)

    def tally(self) -> Tally:
        """Count what arrived so far (each message is read once, however often this is asked)."""
        received = list(self.smtp.mailbox.messages)
        self.classified += [
            classify(r, self.site.base_url) for r in received[len(self.classified) :]
        ]
        return Tally.of(self.classified)

    def logs(self) -> str:
        """Return the tail of every process's log, for a failing assertion's message."""
        return "\n".join(f"--- {n}\n{p.log()[-3000:]}" for n, p in self.processes.items())

    def baseline_taken(self) -> bool:
        """Tell whether every source has been fetched and fingerprinted once."""
        done = query(
            self.database_url,
            "SELECT count(*) FROM watch_sources WHERE fingerprint IS NOT NULL",
        )
        return int(done) == self.plan.sources

    def settled(self) -> bool:
        """Tell whether every change is fanned out and no mail is waiting or being sent."""
        changes = query(self.database_url, "SELECT count(*) FROM mail_changes")
        open_mail = query(self.database_url, OPEN_MAIL)
        return int(changes) >= len(self.plan.changed) and int(open_mail) == 0

    def run_digests_a_week_later(self) -> None:
        """Restart both mailers with their clocks a week ahead: the digest runs come due."""
        self.stop("mailer-1", "mailer-2")
        offset = str(int(A_WEEK_LATER.total_seconds()))
        self.restart("mailer-1", "mailer-2", env={"VARSEL_CLOCK_OFFSET_SECONDS": offset})


def _start_all(processes: list[VarselProcess]) -> None:
    with ThreadPoolExecutor(len(processes)) as pool:
        list(pool.map(lambda p: p.start(timeout=300), processes))
