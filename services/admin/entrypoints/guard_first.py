"""API routes that ask who is asking before they read what is asked.

FastAPI reads a route's body before it runs any dependency, and runs the dependencies in the
order they are declared: a guard among them answered after a body that is no JSON (422), a
query parameter given twice (400) or a ledger filter naming an unknown action (400, listing the
known ones). A stranger learnt how the API reads its input before being told to sign in. A
route of this kind runs its guard before FastAPI does anything else; the guard runs again as
the route's dependency, and keeps what it found on the request so that the second time costs
nothing (and counts nothing twice).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

Guard = Callable[[Request], Awaitable[object]]


def guard_first(
    is_guard: Callable[[object], bool], base: type[APIRoute] = APIRoute
) -> type[APIRoute]:
    """Return a route class that runs the route's guard (the dependency for which ``is_guard``
    holds) before its body, query and other dependencies are read, and before ``base`` reads
    anything; a route without one is a mistake, refused when it is declared."""

    class GuardFirst(base):  # type: ignore[misc, valid-type]
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            guards = [d.call for d in self.dependant.dependencies if is_guard(d.call)]
            if not guards or guards[0] is None:
                raise TypeError(f"{self.path} has no guard; every route of this API needs one")
            guard: Guard = guards[0]
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                await guard(request)
                answer: Response = await handler(request)
                return answer

            return guarded

    return GuardFirst
