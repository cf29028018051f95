"""A request cut short by shutdown: said in one plain line, not as a crash."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# uvicorn's ERROR line as it cancels them; each request's own line says it instead.
_CANCELLING: Final = "Cancel %s running task(s), timeout graceful shutdown exceeded"


class _CancellingLine(logging.Filter):
    """Drop uvicorn's line on cancelling the requests still running at shutdown."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _CANCELLING


def quiet_uvicorn_cancelling() -> None:
    """Leave out uvicorn's ERROR line on the requests it cancels (once per process)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _CancellingLine) for f in logger.filters):
        logger.addFilter(_CancellingLine())


class CancelledAtShutdown:
    """Say in one WARNING line that shutdown cancelled a request, and answer it 503.

    uvicorn cancels a request still running ``grace`` seconds after SIGTERM, and at no other
    time; it then logs the cancellation as an ERROR with the whole traceback («Exception in
    ASGI application»), which an operator reads as a crash. The line names the method and the
    route, never the path or its query: a personal link carries its token in either. The
    client is told the server is going away, as by one that has stopped.
    """

    def __init__(self, app: ASGIApp, *, grace: float) -> None:
        self._app = app
        self._grace = grace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, watched)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or not task.cancelling():
                raise  # not this request's own cancellation
            route = getattr(scope.get("route"), "path", None) or "(a path not yet routed)"
            log.warning(
                "shutdown: cancelled %s %s, still running %g s after SIGTERM%s",
                scope.get("method", "?"),
                route,
                self._grace,
                "; its answer was cut short" if started else "; answered 503",
            )
            if not started:
                await Response(status_code=503, headers={"Connection": "close"})(
                    scope, receive, send
                )
