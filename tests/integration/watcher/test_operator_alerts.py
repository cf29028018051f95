"""Operators get one mail when a source starts failing and one when it recovers; nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from services.mailer.bootstrap import Mailer
from services.watcher.adapters.tables import WatchedSource
from services.watcher.bootstrap import Watcher
from services.watcher.handlers import poll
from shared.clock import FrozenClock
from shared.events import ContentChanged, SourceFailing, SourceRecovered, decode_event
from shared.outbox import OutboxRow
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.mailer.harness import Harness as MailerHarness
from tests.integration.watcher.conftest import START
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.smtp import SmtpServer

OPERATOR = "drift@example.no"
PERSON = "person@example.no"
THRESHOLD = 3


@pytest.fixture
def operators() -> tuple[str, ...]:
    """The operator addresses the product is configured with."""
    return (OPERATOR,)


@dataclass
class Product:
    """The watcher and the mailer on one runtime, and the subscriptions commands."""

    mail: MailerHarness
    watcher: Watcher
    source_id: int

    async def poll(self) -> str:
        """Poll the one source now."""
        return await poll(self.watcher.deps, self.source_id)

    async def deliver(self) -> None:
        """Publish committed events and send whatever mail is due."""
        await self.mail.relay()
        await self.mail.send_all()

    async def events(self) -> list[object]:
        """Return every event in the outbox, oldest first."""
        async with self.mail.runtime.sessions() as session:
            rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        return [decode_event(r.event_type, r.payload) for r in rows]


@pytest.fixture
async def product(
    database_url: str,
    site: ScriptedSite,
    smtp: SmtpServer,
    tmp_path: Path,
    operators: tuple[str, ...],
) -> AsyncIterator[Product]:
    """Wire the watcher and the mailer as `varsel run` does, on the test database."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(
        f"""
[[topics]]
slug = "tema"
title = {{ nb = "Tema", en = "Topic" }}
page = "{site.url("/p")}"

[[sources]]
url = "{site.url("/p")}"
kind = "page"
topics = ["tema"]
""",
        encoding="utf-8",
    )
    settings = Settings(
        database_url=database_url,
        smtp_url=smtp.url,
        config=catalogue,
        base_url="https://varsel.example.no",
        mail_from="Folkehelseinstituttet <varsel@fhi.no>",
        allow_private_addresses=True,
        fetch_timeout_seconds=2,
        failure_threshold=THRESHOLD,
        operator_emails=operators,
        var_dir=tmp_path / "var",
    )
    clock = FrozenClock(START)
    runtime = build_runtime(settings, clock=clock)
    mail = MailerHarness(runtime, Mailer(runtime), clock, smtp.mailbox)
    watcher = Watcher(runtime)
    await watcher.start()
    async with runtime.sessions() as session:
        source_id = await session.scalar(select(WatchedSource.id))
    assert source_id is not None
    yield Product(mail, watcher, source_id)
    await watcher.stop()
    await mail.close()


async def test_operators_hear_once_when_a_source_fails_and_once_when_it_recovers(
    site: ScriptedSite, product: Product
) -> None:
    site.set("/p", Route(page().encode()))
    await product.mail.subscribe(PERSON, topics=("tema",))
    await product.mail.seeded()
    assert await product.poll() == "baseline"

    site.set("/p", Route(b"<h1>Internal Server Error</h1>", status=500))
    assert [await product.poll() for _ in range(THRESHOLD + 2)] == ["failed"] * (THRESHOLD + 2)
    await product.deliver()

    (failing,) = product.mail.received()
    assert failing.recipients == [OPERATOR]
    message = failing.message
    assert "Source failing" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert site.url("/p") in text
    assert f"failed {THRESHOLD} times in a row" in text
    assert "HTTP 500" in text
    assert PERSON not in failing.data.decode("utf-8", "replace")

    site.set("/p", Route(page().encode()))
    assert await product.poll() == "unchanged"
    assert await product.poll() == "unchanged"
    await product.deliver()
    await product.deliver()  # a second pass finds nothing new to tell

    first, recovered = product.mail.received()
    assert first is failing
    assert recovered.recipients == [OPERATOR]
    assert "Source recovered" in recovered.message["Subject"]
    assert product.mail.received_by(PERSON) == []

    events = await product.events()
    assert [type(e) for e in events if isinstance(e, SourceFailing | SourceRecovered)] == [
        SourceFailing,
        SourceRecovered,
    ]
    assert not [e for e in events if isinstance(e, ContentChanged)]
    failing_event = next(e for e in events if isinstance(e, SourceFailing))
    assert failing_event.failures == THRESHOLD
    assert failing_event.source_url == site.url("/p")
    assert "HTTP 500" in failing_event.last_error


@pytest.mark.parametrize("operators", [()])
async def test_without_operator_addresses_nothing_is_mailed(
    site: ScriptedSite, product: Product
) -> None:
    site.set("/p", Route(page().encode()))
    assert await product.poll() == "baseline"
    site.set("/p", Route(b"Service Unavailable", status=503))
    for _ in range(THRESHOLD):
        assert await product.poll() == "failed"

    await product.deliver()

    assert product.mail.received() == []
    assert [e for e in await product.events() if isinstance(e, SourceFailing)]
