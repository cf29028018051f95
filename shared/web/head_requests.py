"""Answer HEAD as GET is answered, without the body (RFC 9110, section 9.3.2).

FastAPI's routes take only the methods they name, so a HEAD, which uptime monitors and link
checkers send, got 405 from every page. No GET changes anything (mail scanners follow links),
so a HEAD may run the same route.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Run a HEAD request as a GET and send its status and headers, never its body."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self._app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self._app({**scope, "method": "GET"}, receive, headers_only)
