"""An SMTP server that cannot be reached is said in the log: once when sending stops, once when
it resumes, whatever the number of mails and passes between, and never with an address; and the
process's metrics say for how long."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.mailer.domain.outcomes import SERVER_RETRY
from services.subscriptions import bootstrap as subscriptions
from shared.clock import FrozenClock
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.mailer.conftest import START
from tests.integration.mailer.faults import LoopbackSmtp
from tests.integration.mailer.harness import Harness, write_catalogue
from tests.support.databases import migrated_sqlite
from tests.support.smtp import Mailbox
from tests.support.varsel_process import free_port
from varsel.app import create_app

ADDRESSES = [f"person{i}@example.org" for i in range(4)]


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return varsel's records, not the test server's (aiosmtpd logs every command)."""
    return [r for r in caplog.records if r.name.startswith(("services.", "shared.", "varsel"))]


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in _ours(caplog) if r.levelno == level]


async def test_an_outage_is_logged_once_and_its_end_once(
    harness: Harness, smtp: LoopbackSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    for address in ADDRESSES:
        await harness.subscribe(address)
    await harness.seeded()
    smtp.stop()
    caplog.set_level(logging.INFO)
    await harness.change("Norge i verden: ny rapport")

    for _ in range(5):  # pass after pass while the server is down
        await harness.send_all()
        harness.clock.advance(timedelta(minutes=5))
    await harness.change("Norge i verden: enda en rapport")
    await harness.send_all()

    (stopped,) = _lines(caplog, logging.ERROR) + _lines(caplog, logging.WARNING)
    assert "sending stopped" in stopped
    assert "cannot reach the SMTP server: SMTPConnectError" in stopped
    assert not any("resumed" in line for line in _lines(caplog, logging.INFO))

    smtp.start()
    harness.clock.advance(timedelta(minutes=5))
    await harness.send_all()
    harness.clock.advance(timedelta(minutes=5))
    await harness.send_all()

    assert len(harness.received()) == 2 * len(ADDRESSES)
    (resumed,) = [line for line in _lines(caplog, logging.INFO) if "resumed" in line]
    assert "sending resumed" in resumed
    assert len(_lines(caplog, logging.ERROR) + _lines(caplog, logging.WARNING)) == 1
    for record in _ours(caplog):
        assert "@" not in record.getMessage(), "no address in the log"


async def test_metrics_say_how_long_the_smtp_server_has_been_unreachable(tmp_path: Path) -> None:
    clock = FrozenClock(START)
    port = free_port()  # nothing listens here until the server starts below
    settings = Settings(
        database_url=migrated_sqlite(tmp_path / "varsel.db"),
        smtp_url=f"smtp://127.0.0.1:{port}",
        config=write_catalogue(tmp_path),
        mail_from="Folkehelseinstituttet <varsel@fhi.no>",
    )
    runtime = build_runtime(settings, clock=clock)
    app = create_app(runtime, ("subscriptions", "mailer"))
    await subscriptions.record_privacy_notices(runtime)  # as start-up would
    server = LoopbackSmtp(Mailbox(), port)
    worker = app.state.mailer.worker

    async def unreachable_for() -> str:
        metrics = (await http.get("/metrics")).text
        (line,) = [x for x in metrics.splitlines() if x.startswith("varsel_smtp_unreachable")]
        return line.split()[-1]

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://testserver"
        ) as http:
            assert await unreachable_for() == "0.0"
            signed_up = await http.post(
                "/api/v1/subscriptions",
                json={"email": "kari@example.org", "topics": ["norge-i-verden"]},
            )
            assert signed_up.status_code == 202
            while await runtime.relay.publish_pending():
                pass
            assert await worker.send_due() == 1  # the confirmation, held
            clock.advance(timedelta(seconds=75))
            assert await unreachable_for() == "75.0"

            server.start()
            clock.advance(SERVER_RETRY)
            assert await worker.send_due() == 1
            assert await unreachable_for() == "0.0"
            assert len(server.mailbox.messages) == 1
    finally:
        server.stop()
        await app.state.mailer.sender.close()
        await runtime.close()
