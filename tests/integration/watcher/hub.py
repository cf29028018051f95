"""A small WebSub hub on loopback (aiohttp), and varsel's callback served by uvicorn beside it.

The hub does what the W3C Recommendation asks of one: it answers a subscription request with
202, then verifies the subscriber's intent with a GET carrying a random challenge, and pushes
content signed with the subscriber's secret (X-Hub-Signature).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import uvicorn
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.entrypoints import hub_callback
from shared.clock import Clock


@dataclass
class Subscription:
    """What the hub was asked, and whether the subscriber confirmed it."""

    topic: str
    callback: str
    secret: str
    lease_seconds: int
    verified: bool | None = None  # None: not verified yet


@dataclass(frozen=True)
class Sent:
    """A push as it went over the wire: what anyone who saw it could send again."""

    callback: str
    body: bytes
    headers: dict[str, str]

    async def replay(self) -> int:
        """Post the push again, byte for byte; return the status the callback answers."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.callback, data=self.body, headers=self.headers) as answer,
        ):
            return answer.status


@dataclass
class LoopbackHub:
    """Accepts subscriptions, verifies them, pushes signed content."""

    answer_status: int = 202  # what a subscription request gets (500: a hub that fails)
    verify: bool = True  # False: a hub that goes quiet after accepting the request
    requests: list[dict[str, str]] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)  # every push, signed or not
    url: str = ""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _subscribe(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        if self.answer_status >= 300:
            return web.Response(status=self.answer_status, text="hub trouble")
        subscription = Subscription(
            form["hub.topic"], form["hub.callback"], form["hub.secret"],
            int(form["hub.lease_seconds"]),
        )  # fmt: skip
        self.subscriptions.append(subscription)
        if self.verify:
            task = asyncio.create_task(self._verify(subscription))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify(self, subscription: Subscription) -> None:
        challenge = secrets.token_urlsafe(16)
        params = {
            "hub.mode": "subscribe",
            "hub.topic": subscription.topic,
            "hub.challenge": challenge,
            "hub.lease_seconds": str(subscription.lease_seconds),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.get(subscription.callback, params=params) as answer,
        ):
            subscription.verified = answer.status == 200 and await answer.text() == challenge

    async def push(self, body: bytes, *, secret: str | None = None, method: str = "sha256") -> int:
        """Push a body to the latest subscription, signed with its secret (or another)."""
        subscription = self.subscriptions[-1]
        key = (secret if secret is not None else subscription.secret).encode()
        signature = hmac.new(key, body, getattr(hashlib, method)).hexdigest()
        headers = {
            "Content-Type": "application/atom+xml",
            "X-Hub-Signature": f"{method}={signature}",
            "Link": f'<{self.url}>; rel="hub", <{subscription.topic}>; rel="self"',
        }
        self.sent.append(Sent(subscription.callback, body, headers))
        return await self.sent[-1].replay()

    async def verified(self, timeout: float = 30.0) -> Subscription:
        """Wait for the latest subscription's verification to finish; return it."""
        async with asyncio.timeout(timeout):
            while not self.subscriptions or self.subscriptions[-1].verified is None:
                await asyncio.sleep(0.05)
        return self.subscriptions[-1]

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[LoopbackHub]:
        """Serve the hub on 127.0.0.1 and a free port."""
        app = web.Application()
        app.router.add_post("/", self._subscribe)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        try:
            yield self
        finally:
            for task in list(self._tasks):
                task.cancel()
            await runner.cleanup()


@asynccontextmanager
async def callback_server(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[str]:
    """Serve varsel's WebSub callback with uvicorn on loopback; yield its base URL."""
    app = FastAPI()
    hub_callback.install(app, sessions, clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config: Any = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(30):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
