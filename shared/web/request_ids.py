"""Give every HTTP request an id, carry it in the logs written meanwhile, and return it."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import REQUEST_ID_HEADER, accepted_request_id, new_request_id, request_context

log = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Honour a sane incoming X-Request-ID or make one; echo it in the response header."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = accepted_request_id(incoming) or new_request_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with request_context(request_id):
            try:
                await self._app(scope, receive, send_with_id)
            except Exception:
                # The server logs it again, but outside the request: this line carries the id.
                # The path is left out on purpose: personal links carry tokens in it.
                log.exception("http: unhandled error in a %s request", scope.get("method", "?"))
                raise
