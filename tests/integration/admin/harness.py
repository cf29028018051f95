"""Build an app with the admin service (and the public pages beside it) on a real database and
drive it over ASGI."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.admin import handlers as admin
from services.subscriptions import bootstrap as subscriptions
from services.subscriptions import handlers
from services.subscriptions.adapters.tables import SignupRequest, Subscriber
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from shared.clock import Clock
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from tests.support.journey import hidden_fields
from tests.support.notices import NOTICES
from varsel.app import create_app

TOPIC = "norge-i-verden"
OTHER = "helsenyheter"
PASSWORD = "correct horse battery staple"
BASE_URL = "http://127.0.0.1:8000"  # the settings' default: links and ledger pages name it


def signup_page(slug: str) -> str:
    """Return the address of a topic's sign-up page, as the consent ledger records it."""
    return f"{BASE_URL}/subscribe/{slug}"


CATALOGUE = f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
related = ["{OTHER}"]

[[topics]]
slug = "{OTHER}"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "https://example.org/side"
kind = "page"
topics = ["{TOPIC}"]
interval = "15m"
"""


@dataclass
class Harness:
    """A runtime, the app with the admin area installed, and helpers."""

    runtime: Runtime
    app: FastAPI

    @property
    def deps(self) -> handlers.Deps:
        r = self.runtime
        return handlers.Deps(r.settings, r.catalogue, r.signer, r.clock, NOTICES)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.runtime.sessions)

    def client(self, *, scheme: str | None = None, **kwargs: object) -> httpx.AsyncClient:
        """Return a browser-like client, on https when varsel's address is (its cookies are
        Secure then, and sent back over https only); ``scheme`` chooses otherwise."""
        scheme = scheme or self.runtime.settings.base_url.partition(":")[0]
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver", **kwargs)  # type: ignore[arg-type]

    async def user(self, name: str, role: str) -> None:
        async with self.runtime.sessions() as session, session.begin():
            await admin.create_user(session, name, role, PASSWORD, self.runtime.clock.now())

    async def token(self, name: str) -> tuple[int, str]:
        async with self.runtime.sessions() as session, session.begin():
            return await admin.create_token(session, name, self.runtime.clock.now())

    async def sign_up(
        self, address: str, topics: tuple[str, ...] = (TOPIC,), frequency: str = "daily"
    ) -> None:
        """Sign up through the public form, as a person does (the first topic's page)."""
        first, *related = topics
        async with self.client() as browser:
            form = await browser.get(f"/subscribe/{first}")
            assert form.status_code == 200, form.text
            data = {**hidden_fields(form.text), "email": address, "frequency": frequency}
            answer = await browser.post(f"/subscribe/{first}", data={**data, "related": related})
            assert answer.status_code == 200, answer.text

    async def confirm(self, address: str) -> None:
        async with self.runtime.sessions() as session, session.begin():
            request_id = await session.scalar(
                select(SignupRequest.id)
                .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
                .where(Subscriber.email == address, SignupRequest.confirmed_at.is_(None))
            )
            assert request_id is not None
        token = self.runtime.signer.sign("confirm", request_id, self.runtime.clock.now())
        assert await handlers.confirm(self.uow(), self.deps, token) is not None

    async def subscribed(self, address: str) -> str:
        """Sign a person up and confirm; return the unsubscribe token their mails carry."""
        await self.sign_up(address)
        await self.confirm(address)
        async with self.runtime.sessions() as session:
            person = await session.scalar(select(Subscriber.id).where(Subscriber.email == address))
        assert person is not None
        return self.runtime.signer.sign("unsubscribe", person, self.runtime.clock.now())

    async def erase(self, address: str) -> None:
        async with self.runtime.sessions() as session:
            subscriber = await session.scalar(select(Subscriber).where(Subscriber.email == address))
        assert subscriber is not None
        token = self.runtime.signer.sign("unsubscribe", subscriber.id, self.runtime.clock.now())
        erased = await handlers.erase(
            self.uow(), self.deps, token, purposes=("unsubscribe",), route=UnsubscribeRoute.LINK
        )
        assert erased is not None


@asynccontextmanager
async def running(
    url: str, tmp_path: Path, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[Harness]:
    """Yield a harness on a migrated database; close it afterwards."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(
        Settings(database_url=url, config=catalogue, var_dir=tmp_path, **settings), clock=clock
    )
    # The public pages beside the admin, as in the embedded mode; nothing runs in the background.
    app = create_app(runtime, ("subscriptions", "admin"))
    # httpx's ASGI transport runs no lifespan; store the privacy texts as start-up would.
    await subscriptions.record_privacy_notices(runtime)
    try:
        yield Harness(runtime, app)
    finally:
        await runtime.close()


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the login form (fetching it first for the CSRF cookie)."""
    form = await client.get("/admin/login")
    return await client.post(
        "/admin/login",
        data={"name": name, "password": password, "csrf_token": csrf_token(form.text)},
    )


@asynccontextmanager
async def another_editor(h: Harness, name: str = "kari") -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, signed in as another editor: two people on one form at once."""
    await h.user(name, "editor")
    async with h.client() as other:
        await sign_in(other, name)
        yield other


def command_line_with_one_subscriber(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path, address: str
) -> None:
    """Set up ``varsel`` on the command line over the test's database, with ``address``
    signed up and confirmed."""
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path))

    async def subscribe() -> None:
        async with running(sqlite_url, tmp_path) as h:
            await h.sign_up(address)
            await h.confirm(address)

    asyncio.run(subscribe())
