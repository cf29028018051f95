"""Late bounces and complaints end to end: mail out over SMTP, reports back over SMTP.

varsel runs as its own processes (embedded on SQLite, and apart on PostgreSQL and RabbitMQ with
``varsel run bounces`` as a process of its own); a real HTTP server serves the watched page and
a real SMTP server takes the mail. The test then plays the relay that bounces Kari's alert
later and the mailbox provider that reports Ola's as spam, over SMTP to the bounce listener:
neither gets another alert.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.walking_skeleton_support import ADDED, CATALOGUE, PAGE, SECOND
from tests.support.broker import rabbitmq_namespace
from tests.support.journey import subscribe_and_confirm, wait_until
from tests.support.reports import arf, dsn, send_report
from tests.support.services import fresh_postgres_database
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import Received, SmtpServer
from tests.support.varsel_process import VarselProcess, free_port

KARI, OLA = "kari@example.no", "ola@example.no"
BOUNCES = "bounces@fhi.example"
VERP = re.compile(r"^bounces\+\d+-[a-z2-7]{16}@fhi\.example$")


@dataclass(frozen=True)
class Running:
    """varsel's processes, the public URL and the bounce listener's port; the page and mailbox."""

    base_url: str
    listener: int
    processes: list[VarselProcess]
    site: FixtureSite
    smtp: SmtpServer

    def logs(self) -> str:
        return "".join(p.log() for p in self.processes)


@pytest.fixture(params=["embedded", "distributed"])
def running(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer) -> Iterator[Running]:
    """Start varsel with a bounce mailbox and listener, embedded or apart."""
    site = FixtureSite()
    site.set("/norge-i-verden", Resource(PAGE.format(extra="").encode()))
    site.start()
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=f"{site.base_url}/norge-i-verden"), encoding="utf-8")
    listener = free_port()
    env = {
        "VARSEL_SMTP_URL": smtp.url,
        "VARSEL_CONFIG": str(config),
        "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        "VARSEL_SECRET_KEY": "e2e-secret-key-shared-by-every-service-process",
        "VARSEL_BOUNCE_ADDRESS": BOUNCES,
        "VARSEL_HARD_BOUNCE_LIMIT": "1",
    }
    listening = {"VARSEL_BOUNCE_SMTP_PORT": str(listener)}
    processes: list[VarselProcess] = []
    try:
        if request.param == "embedded":
            env["VARSEL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}"
            processes.append(VarselProcess(tmp_path, {**env, **listening}))
            processes[0].start()
            yield Running(processes[0].base_url, listener, processes, site, smtp)
            return
        with fresh_postgres_database() as url, rabbitmq_namespace() as broker:
            env |= {"VARSEL_DATABASE_URL": url, **broker}
            for service in ("subscriptions", "mailer", "watcher", "bounces"):
                (tmp_path / service).mkdir()
            public = VarselProcess(tmp_path / "subscriptions", env, "subscriptions")
            env["VARSEL_BASE_URL"] = public.base_url
            processes += [
                VarselProcess(tmp_path / "mailer", env, "mailer"),
                public,
                VarselProcess(tmp_path / "bounces", {**env, **listening}, "bounces"),
                VarselProcess(tmp_path / "watcher", env, "watcher"),
            ]
            try:
                for process in processes:  # consumers first, so their queues exist
                    process.start()
                yield Running(public.base_url, listener, processes, site, smtp)
            finally:  # before the database and the namespace go
                for process in processes:
                    process.stop()
    finally:
        for process in processes:
            process.stop()
        site.stop()


def test_a_late_bounce_and_a_complaint_end_the_alerts(running: Running) -> None:
    site, smtp = running.site, running.smtp
    # The first fetch only sets the baseline.
    wait_until(lambda: site.hits("/norge-i-verden") >= 2, 30, "the watcher's first polls")
    with httpx.Client(base_url=running.base_url, timeout=10) as browser:
        for address in (KARI, OLA):
            subscribe_and_confirm(browser, smtp.mailbox, "norge-i-verden", address, "immediate")
    site.set("/norge-i-verden", Resource(PAGE.format(extra=ADDED).encode()))
    smtp.mailbox.wait_for(4, timeout=30)
    alerts: dict[str, Received] = {m.recipients[0]: m for m in smtp.mailbox.messages[2:]}
    assert set(alerts) == {KARI, OLA}
    assert all(VERP.match(m.mail_from) for m in smtp.mailbox.messages)

    kari, ola = alerts[KARI], alerts[OLA]
    bounce = dsn(to=kari.mail_from, recipient=KARI, message_id=str(kari.message["Message-ID"]))
    complaint = arf(
        to=BOUNCES,
        recipient=OLA,
        message_id=str(ola.message["Message-ID"]),
        mail_from=ola.mail_from,
    )
    asyncio.run(send_report(running.listener, kari.mail_from, bounce))
    asyncio.run(send_report(running.listener, BOUNCES, complaint))
    wait_until(lambda: "disabled after 1 hard bounces" in running.logs(), 30, "Kari disabled")
    wait_until(lambda: "after a complaint" in running.logs(), 30, "Ola unsubscribed")

    hits = site.hits("/norge-i-verden")
    site.set("/norge-i-verden", Resource(PAGE.format(extra=ADDED + SECOND).encode()))
    wait_until(lambda: site.hits("/norge-i-verden") >= hits + 3, 30, "polls of the change")
    time.sleep(2)  # time for a (wrong) alert to be fanned out and sent
    assert len(smtp.mailbox.messages) == 4, "a mail went out after the bounce or complaint"
    assert KARI not in running.logs() and OLA not in running.logs()
