"""Drive the real app over HTTP in process: a migrated database, a frozen clock, httpx over ASGI."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from services.subscriptions.adapters.tables import (
    ConsentRecord,
    SignupRequest,
    Subscriber,
    Subscription,
)
from shared.clock import FrozenClock
from shared.events import CatalogueChanged
from shared.outbox import OutboxRow
from shared.runtime import Runtime, build_runtime
from shared.schema import upgrade_async
from shared.settings import Settings
from tests.support.journey import form_with, hidden_fields
from varsel.app import create_app

SECRET = "integration-test-secret-key-0123456789abcdef"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TOPIC = "norge-i-verden"  # in the bundled catalogue; related: the two below
RELATED = ("pa-tvers-av-sektorer", "internasjonalt-helsearbeid")
UNRELATED = "helsenyheter"
# The publisher's page that embeds the sign-up form (VARSEL_EMBED_ORIGINS), unless a test says.
HOST_PAGE = "https://www.example.no"
# A catalogue of its own (VARSEL_CONFIG) whose second topic has ended, naming the first as its
# successor.
ENDED_CATALOGUE = """
[[topics]]
slug = "helsenyheter"
title = { nb = "Helsenyheter", nn = "Helsenytt", en = "Health news" }

[[topics]]
slug = "gammelt-tema"
title = { nb = "Gammelt tema", nn = "Gamalt tema", en = "Old topic" }
retired = true
successor = "helsenyheter"
"""


@dataclass
class Harness:
    """The app, its runtime and clock, and a browser-like client with a cookie jar."""

    app: FastAPI
    runtime: Runtime
    clock: FrozenClock
    client: httpx.AsyncClient

    def browser(self, client_host: str = "127.0.0.1", **kwargs: Any) -> httpx.AsyncClient:
        """Return another client (own cookies) that the app sees coming from ``client_host``."""
        transport = httpx.ASGITransport(self.app, client=(client_host, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs)

    async def scalar(self, statement: Any) -> Any:
        """Run one query and return its scalar."""
        async with self.runtime.sessions() as session:
            return await session.scalar(statement)

    async def all(self, statement: Any) -> list[Any]:
        """Run one query and return every scalar."""
        async with self.runtime.sessions() as session:
            return list((await session.scalars(statement)).all())

    async def subscriber(self, address: str) -> Subscriber | None:
        """Return the subscriber row of a normalised address."""
        return await self.scalar(select(Subscriber).where(Subscriber.email == address))  # type: ignore[no-any-return]

    async def confirm_token(self, address: str) -> str:
        """Return the token the confirmation mail of the newest open request carries."""
        person = await self.subscriber(address)
        assert person is not None
        request = await self.scalar(
            select(SignupRequest)
            .where(SignupRequest.subscriber_id == person.id, SignupRequest.confirmed_at.is_(None))
            .order_by(SignupRequest.created_at.desc())
        )
        assert request is not None
        return self.runtime.signer.sign("confirm", request.id, self.clock.now())

    async def link_token(self, address: str, purpose: str) -> str:
        """Return a manage or unsubscribe token as a mail to this person would carry it."""
        person = await self.subscriber(address)
        assert person is not None
        assert purpose in ("manage", "unsubscribe")
        return self.runtime.signer.sign(purpose, person.id, self.clock.now())  # type: ignore[arg-type]

    async def open_topics(self, address: str) -> set[str]:
        """Return the topics a person gets alerts about."""
        person = await self.subscriber(address)
        if person is None:
            return set()
        rows = await self.all(
            select(Subscription.topic).where(
                Subscription.subscriber_id == person.id, Subscription.ended_at.is_(None)
            )
        )
        return set(rows)

    async def count(self, model: Any, *where: Any) -> int:
        """Count the rows of a table."""
        return int(await self.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    async def events(self, event_type: str) -> int:
        """Count outbox events of a type (e.g. ``subscriber.signup_requested``)."""
        return await self.count(OutboxRow, OutboxRow.event_type == event_type)

    async def ledger(self) -> list[ConsentRecord]:
        """Return the consent ledger in insertion order."""
        return await self.all(select(ConsentRecord).order_by(ConsentRecord.id))

    async def state(self) -> tuple[int, ...]:
        """Return row counts that any state change would move."""
        return (
            await self.count(Subscriber),
            await self.count(Subscription, Subscription.ended_at.is_(None)),
            await self.count(SignupRequest, SignupRequest.confirmed_at.is_(None)),
            await self.count(ConsentRecord),
            # Start-up applies the catalogue file and announces it; that is not the pages' doing.
            await self.count(OutboxRow, OutboxRow.event_type != CatalogueChanged.type_name()),
        )


@asynccontextmanager
async def running(
    url: str,
    tmp_path: Path,
    services: Sequence[str] = ("subscriptions",),
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """Migrate the database and run the app in its lifespan; yield the harness."""
    await upgrade_async(url)
    settings = Settings(
        database_url=url,
        var_dir=tmp_path / "var",
        secret_key=SECRET,
        **{
            "signup_limit_per_address": 50,
            "signup_limit_per_address_daily": 50 * 24,
            "signup_limit_per_client": 500,
            "embed_origins": (HOST_PAGE,),
            **overrides,
        },
    )
    clock = FrozenClock(START)
    runtime = build_runtime(settings, clock=clock)
    app = create_app(runtime, services)
    # A large catalogue (test_subscriptions_every_topic.py) takes seconds to apply at start on a
    # busy machine: more than the 5 the manager waits by default.
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(app, runtime, clock, client)


def csrf(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def form_token(html: str) -> str:
    """Return the signed token of an embedded form."""
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "the page has no embedded form with a token"
    return match.group(1)


async def sign_up(
    client: httpx.AsyncClient,
    address: str,
    *,
    slug: str = TOPIC,
    frequency: str = "immediate",
    related: Sequence[str] = (),
    lang: str | None = None,
) -> httpx.Response:
    """Fill in and send the sign-up form like a browser."""
    query = f"?lang={lang}" if lang else ""
    form = await client.get(f"/subscribe/{slug}{query}")
    # The hidden fields a browser sends back: the token, the language, the page it was shown on.
    data: dict[str, Any] = {**hidden_fields(form.text), "email": address, "frequency": frequency}
    if related:
        data["related"] = list(related)
    return await client.post(f"/subscribe/{slug}", data=data)


async def confirm(h: Harness, address: str) -> httpx.Response:
    """Open the confirmation link and press the button."""
    token = await h.confirm_token(address)
    page = await h.client.get(f"/confirm/{token}")
    assert page.status_code == 200, page.text
    return await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))


async def subscribed(h: Harness, address: str, **kwargs: Any) -> uuid.UUID:
    """Sign a person up and confirm; return their subscriber id."""
    answer = await sign_up(h.client, address, **kwargs)
    assert answer.status_code == 200, answer.text
    done = await confirm(h, address)
    assert done.status_code == 200, done.text
    person = await h.subscriber(address)
    assert person is not None
    return person.id


async def press(client: httpx.AsyncClient, page: str, button: str) -> httpx.Response:
    """Open a page and press one of its buttons: post the form it rendered, as a browser does."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    action, data = form_with(opened.text, button)
    return await client.post(action, data=data)
