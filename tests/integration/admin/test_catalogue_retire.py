"""Retiring a topic: one last mail to each follower, once, and the sign-up page answers 410."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.clock import SystemClock
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.admin.catalogue_support import apply_elsewhere
from tests.support.seed import address, insert_immediate_subscribers, record_change
from tests.support.smtp import SmtpServer
from varsel.app import create_app

ENDING = "norge-i-verden"
SUCCESSOR = "helsenyheter"
FIRST = f"""
[[topics]]
slug = "{ENDING}"
title = {{ nb = "Norge i verden", nn = "Noreg i verda", en = "Norway in the world" }}

[[topics]]
slug = "{SUCCESSOR}"
title = {{ nb = "Helsenyheter", en = "Health news" }}
"""
RETIRED = f"""
[[topics]]
slug = "{SUCCESSOR}"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[topics]]
slug = "{ENDING}"
title = {{ nb = "Norge i verden", nn = "Noreg i verda", en = "Norway in the world" }}
retired = true
successor = "{SUCCESSOR}"
"""


async def _wait_for_mails(smtp: SmtpServer, count: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while len(smtp.mailbox.messages) < count:
        assert time.monotonic() < deadline, f"{len(smtp.mailbox.messages)} of {count} mails"
        await asyncio.sleep(0.1)


async def test_followers_get_one_last_mail_and_keep_their_other_topics(
    database_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(FIRST, encoding="utf-8")
    runtime = build_runtime(
        Settings(
            database_url=database_url,
            config=config,
            var_dir=tmp_path,
            smtp_url=smtp.url,
            catalogue_check_seconds=0.2,
            mail_poll_seconds=0.2,
        )
    )
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        await insert_immediate_subscribers(runtime.sessions, 3, topic=ENDING)
        async with runtime.sessions() as session, session.begin():
            first = await session.scalar(
                select(Subscriber.id).where(Subscriber.email == address(0))
            )
            session.add(
                Subscription(subscriber_id=first, topic=SUCCESSOR, started_at=SystemClock().now())
            )

        await apply_elsewhere(database_url, RETIRED)
        await apply_elsewhere(database_url, RETIRED)  # applied twice: an empty plan, no second mail
        await _wait_for_mails(smtp, 3)
        # The topic comes back and ends again: its followers were told once already.
        await apply_elsewhere(database_url, FIRST)
        await apply_elsewhere(database_url, RETIRED)
        await asyncio.sleep(3)

        mails = list(smtp.mailbox.messages)
        assert sorted(r for m in mails for r in m.recipients) == sorted(
            address(n) for n in range(3)
        )
        for mail in mails:
            message = mail.message
            assert message["Subject"] == "«Norge i verden» er avsluttet"
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert "du får ikke flere varsler om det" in text
            if mail.recipients == [address(0)]:
                # One who follows the successor already is not asked to sign up for it.
                assert "Du får allerede varsler om «Helsenyheter»." in text
                assert f"/subscribe/{SUCCESSOR}" not in text
                assert "melde deg på" not in text
            else:
                # Its sign-up page opens in the mail's language, not the browser's.
                assert f"http://127.0.0.1:8000/subscribe/{SUCCESSOR}?lang=nb" in text
                assert "Du får allerede varsler" not in text
            assert message["List-Unsubscribe"]

        # A new title reaches the mails without a restart.
        await apply_elsewhere(
            database_url, RETIRED.replace('nb = "Helsenyheter"', 'nb = "Helse og omsorg"')
        )
        while runtime.catalogue.version < 5:
            await asyncio.sleep(0.05)
        await record_change(runtime.sessions, topic=SUCCESSOR)
        await _wait_for_mails(smtp, 4)
        alert = smtp.mailbox.messages[3]
        assert alert.recipients == [address(0)]
        assert alert.message["Subject"].startswith("Oppdatering i «Helse og omsorg»:")

        async with runtime.sessions() as session:
            kept = await session.scalar(
                select(Subscription.ended_at).where(
                    Subscription.subscriber_id == first, Subscription.topic == SUCCESSOR
                )
            )
        assert kept is None, "the follower's other topic was ended"

        page = await client.get(f"/subscribe/{ENDING}")
        assert page.status_code == 410
        assert "«Norge i verden» er avsluttet" not in page.text  # the page does not quote
        assert "Norge i verden er avsluttet" in page.text
        assert f'href="/subscribe/{SUCCESSOR}"' in page.text
        nynorsk = await client.get(f"/subscribe/{ENDING}?lang=nn")
        assert nynorsk.status_code == 410 and "Noreg i verda er avslutta" in nynorsk.text
        posted = await client.post(f"/subscribe/{ENDING}", data={"email": "ny@example.org"})
        assert posted.status_code == 410
        assert (await client.get("/subscribe/finnes-ikke")).status_code == 404
