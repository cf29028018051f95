"""Refuse request bodies over a limit with 413, before or while they stream in.

A body whose Content-Length is over the limit is refused before a byte of it is read; a body
without one (chunked) is counted as it arrives and refused the moment it passes the limit, so
no request can make a process hold more than the limit in memory. Paths can have a larger limit
(the staff side takes bigger forms than a public sign-up).

Written here rather than taken from Starlette's ``RequestBodyLimitMiddleware`` because that one
answers a bare "Content Too Large": a person or an integration needs to be told the limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.web.errors import error_response


def too_large_reason(limit: int) -> str:
    """Return the reason a 413 gives, naming the limit."""
    return f"The request body is larger than this service accepts here ({limit} bytes at most)."


class BodyTooLarge(HTTPException):
    """Raised while a body streams in, once it passes the limit.

    An ``HTTPException``, so FastAPI's body parsing passes it on instead of calling it a parse
    error, and the app's handler answers it like any other 413.
    """

    def __init__(self, limit: int) -> None:
        # Closing tells the client to stop sending the rest, which nobody will read.
        super().__init__(
            status_code=413, detail=too_large_reason(limit), headers={"Connection": "close"}
        )


class BodyLimitMiddleware:
    """Cap every request body at ``limit`` bytes, or at ``larger[prefix]`` under a path prefix."""

    def __init__(
        self, app: ASGIApp, *, limit: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self._app = app
        self._limit = limit
        # Longest prefix first, so a nested prefix wins over the one that contains it.
        self._larger = sorted((larger or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        """Return the limit of a path: the larger one of its prefix, else the default."""
        for prefix, limit in self._larger:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self._limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        # The server has already checked that Content-Length is a number and matches the body.
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted, watched)
        except BodyTooLarge:
            # Raised where no route turned it into an answer (in a middleware, say).
            if started:
                raise
            await self._refuse(limit, scope, receive, send)

    @staticmethod
    async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = BodyTooLarge(limit)
        # A browser gets the page the app's handler would give (errors.py), the API JSON.
        response = await error_response(Request(scope), refusal) if "app" in scope else None
        if response is None:
            response = JSONResponse(
                {"detail": refusal.detail}, status_code=413, headers=refusal.headers
            )
        await response(scope, receive, send)
