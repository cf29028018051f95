"""A request uvicorn cancels at shutdown: one WARNING line naming its route, and a 503."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

from varsel.cancelled_requests import CancelledAtShutdown


def _app(entered: asyncio.Event, *, cancels_itself: bool = False) -> FastAPI:
    app = FastAPI()

    @app.get("/unsubscribe/{token}")
    async def waits(token: str) -> None:
        entered.set()
        if cancels_itself:  # a cancellation of something it waited on, not of the request
            raise asyncio.CancelledError
        await asyncio.Event().wait()

    app.add_middleware(CancelledAtShutdown, grace=5)
    return app


def _scope() -> Scope:
    path = "/unsubscribe/a-personal-token"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"also=a-token",
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def test_a_request_cancelled_at_shutdown_is_one_line_naming_its_route_and_a_503(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered = asyncio.Event()
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    request = asyncio.create_task(_app(entered)(_scope(), _receive, send))
    await asyncio.wait_for(entered.wait(), timeout=5)
    caplog.set_level(logging.INFO)
    request.cancel()  # as uvicorn does, 5 s after SIGTERM
    await asyncio.wait_for(request, timeout=5)  # answered, not raised

    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    line = "shutdown: cancelled GET /unsubscribe/{token}, still running 5 s after SIGTERM; "
    assert said == [("WARNING", line + "answered 503")]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 503


async def test_a_cancellation_that_is_not_the_requests_own_goes_on_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def send(message: Message) -> None:
        pass

    caplog.set_level(logging.INFO)
    with pytest.raises(asyncio.CancelledError):
        await _app(asyncio.Event(), cancels_itself=True)(_scope(), _receive, send)
    assert [r for r in caplog.records if r.name == "varsel.cancelled_requests"] == []
