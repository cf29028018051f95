"""The whole path, only through HTTP and SMTP: sign up, confirm, alert, unsubscribe, silence.

A real HTTP server serves the watched page, a real SMTP server (aiosmtpd) receives the mail,
and varsel runs as its own process; the same test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.walking_skeleton_support import ADDED, CATALOGUE, PAGE, SECOND
from tests.support.broker import rabbitmq_namespace
from tests.support.journey import form_with, hidden_fields, link_in, wait_until
from tests.support.services import fresh_postgres_database
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess


@dataclass(frozen=True)
class Mode:
    """How varsel runs: its database, and whether the services run apart on RabbitMQ."""

    database_url: str
    broker_env: dict[str, str]

    @property
    def distributed(self) -> bool:
        return bool(self.broker_env)


@pytest.fixture(params=["sqlite", "postgresql", "distributed"])
def mode(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mode]:
    if request.param == "sqlite":
        yield Mode(f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}", {})
        return
    if request.param == "distributed":
        with rabbitmq_namespace() as broker, fresh_postgres_database() as url:
            yield Mode(url, broker)
        return
    with fresh_postgres_database() as url:
        yield Mode(url, {})


def _start(
    mode: Mode, tmp_path: Path, env: dict[str, str]
) -> tuple[VarselProcess, list[VarselProcess]]:
    """Start varsel: one process, or (distributed) one per service; return the public one too."""
    env = {**env, "VARSEL_DATABASE_URL": mode.database_url, **mode.broker_env}
    if not mode.distributed:
        process = VarselProcess(tmp_path, env)
        process.start()
        return process, [process]
    for service in ("subscriptions", "mailer", "watcher"):
        (tmp_path / service).mkdir()
    public = VarselProcess(tmp_path / "subscriptions", env, "subscriptions")
    # Links in mail must point at the public service, whichever process builds the mail.
    env["VARSEL_BASE_URL"] = public.base_url
    mailer = VarselProcess(tmp_path / "mailer", env, "mailer")
    watcher = VarselProcess(tmp_path / "watcher", env, "watcher")
    # The consumers first, so their queues exist before anything is published.
    for process in (mailer, public, watcher):
        process.start()
    return public, [mailer, public, watcher]


def test_sign_up_confirm_alert_unsubscribe(mode: Mode, tmp_path: Path, smtp: SmtpServer) -> None:
    site = FixtureSite()
    site.set("/norge-i-verden", Resource(PAGE.format(extra="").encode()))
    site.start()
    page_url = f"{site.base_url}/norge-i-verden"
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=page_url), encoding="utf-8")
    env = {
        "VARSEL_SMTP_URL": smtp.url,
        "VARSEL_CONFIG": str(config),
        "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        "VARSEL_SECRET_KEY": "e2e-secret-key-shared-by-every-service-process",
    }
    varsel, processes = _start(mode, tmp_path, env)
    try:
        # The first fetch only sets the baseline.
        wait_until(lambda: site.hits("/norge-i-verden") >= 2, 30, "the watcher's first polls")
        assert smtp.mailbox.messages == []

        with httpx.Client(base_url=varsel.base_url, timeout=10) as browser:
            form = browser.get("/subscribe/norge-i-verden")
            assert form.status_code == 200
            assert "Få varsel ved oppdateringer av «Norge i verden»" in form.text
            answer = browser.post(
                "/subscribe/norge-i-verden",
                data={
                    **hidden_fields(form.text),
                    "email": "Kari.Nordmann@Example.no",
                    "frequency": "immediate",
                },
            )
            assert answer.status_code == 200, answer.text
            assert "Sjekk e-posten din" in answer.text

            (confirmation,) = smtp.mailbox.wait_for(1)
            assert confirmation.recipients == ["kari.nordmann@example.no"]
            confirm_url = link_in(confirmation, rf"{re.escape(varsel.base_url)}/confirm/\S+")
            button = browser.get(confirm_url)
            assert button.status_code == 200
            # Following the link alone changes nothing: no alert yet, still a button to press.
            assert "Bekreft påmeldingen" in button.text
            confirmed = browser.post(confirm_url, data=hidden_fields(button.text))
            assert confirmed.status_code == 200
            assert "Du har meldt deg på nyhetsvarsel for:" in confirmed.text
            assert "Norge i verden" in confirmed.text

            site.set("/norge-i-verden", Resource(PAGE.format(extra=ADDED).encode()))
            mails = smtp.mailbox.wait_for(2, timeout=30)
            alert = mails[1]
            assert alert.recipients == ["kari.nordmann@example.no"]
            assert "Norge i verden" in alert.message["Subject"]
            body = alert.message.get_body(preferencelist=("plain",))
            assert body is not None
            assert page_url in body.get_content()
            assert "partnerskap" in body.get_content()
            assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

            unsubscribe_url = link_in(alert, rf"{re.escape(varsel.base_url)}/unsubscribe/\S+")
            page = browser.get(unsubscribe_url)
            assert page.status_code == 200
            action, end = form_with(page.text, "unsubscribe_all")
            done = browser.post(action, data=end)
            assert done.status_code == 200
            assert "Varslene er avsluttet" in done.text

        hits_before = site.hits("/norge-i-verden")
        site.set("/norge-i-verden", Resource(PAGE.format(extra=ADDED + SECOND).encode()))
        wait_until(
            lambda: site.hits("/norge-i-verden") >= hits_before + 3,
            30,
            "polls of the second change",
        )
        time.sleep(2)  # time for a (wrong) alert to be fanned out and sent
        assert len(smtp.mailbox.messages) == 2, "a mail was sent after unsubscribing"
        assert any("changed" in p.log() for p in processes)
    finally:
        for process in processes:
            process.stop()
        site.stop()
