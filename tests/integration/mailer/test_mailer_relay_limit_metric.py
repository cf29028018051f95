"""The metrics say how many SMTP connections a mailer uses: its pool, or what the relay takes."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.subscriptions import bootstrap as subscriptions
from shared.clock import FrozenClock
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.mailer.conftest import START
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import write_catalogue
from tests.support.databases import migrated_sqlite
from varsel.app import create_app

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand


async def test_metrics_say_how_many_connections_the_relay_takes(
    tmp_path: Path, smtp: ScriptedRelay
) -> None:
    smtp.most = 1
    settings = Settings(
        database_url=migrated_sqlite(tmp_path / "varsel.db"),
        smtp_url=smtp.url,
        config=write_catalogue(tmp_path),
        mail_from="Folkehelseinstituttet <varsel@fhi.no>",
        mail_concurrency=3,
    )
    runtime = build_runtime(settings, clock=FrozenClock(START))
    app = create_app(runtime, ("subscriptions", "mailer"))
    await subscriptions.record_privacy_notices(runtime)  # as start-up would

    async def connections() -> str:
        metrics = (await http.get("/metrics")).text
        (line,) = [x for x in metrics.splitlines() if x.startswith("varsel_smtp_connections ")]
        return line.split()[-1]

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://testserver"
        ) as http:
            assert await connections() == "3.0"
            for name in ("kari", "ola", "per"):
                signed_up = await http.post(
                    "/api/v1/subscriptions",
                    json={"email": f"{name}@example.org", "topics": ["norge-i-verden"]},
                )
                assert signed_up.status_code == 202
            while await runtime.relay.publish_pending():
                pass
            worker = app.state.mailer.worker
            while await worker.send_due():  # three confirmations, three lanes: two turned away
                pass
            assert len(smtp.mailbox.messages) == 3
            assert await connections() == "1.0"
    finally:
        await app.state.mailer.sender.close()
        await runtime.close()
