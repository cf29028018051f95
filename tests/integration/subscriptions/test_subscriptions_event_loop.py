"""The public pages run every route and dependency on the event loop, none in a worker thread.

FastAPI hands a plain (not async) route or dependency to a thread of its pool on every request;
for the sign-up page that hand-over and back cost more than the lookup it wrapped.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Route

from tests.integration.subscriptions.harness import running


def _routes(routes: Iterable[Any]) -> Iterator[Route]:
    """Yield every route, an API route or a plain one, including those of included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)  # a router the app includes
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, Route):  # an API route is one too
            yield route


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    """Yield what FastAPI calls to solve a route's dependencies, nested ones too."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def _dependencies_of(route: Route) -> Iterator[Any]:
    """Yield an API route's dependencies (a plain route has none)."""
    if isinstance(route, APIRoute):
        yield from _dependencies(route.dependant)


def _on_the_loop(call: Any) -> bool:
    """Tell whether FastAPI awaits ``call`` rather than running it in a worker thread."""
    if inspect.isclass(call):
        return False  # a class is instantiated in a thread
    # An object with an async __call__ (a role guard, say) is awaited too.
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


async def test_no_route_or_dependency_of_the_public_pages_runs_in_a_worker_thread(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        routes = list(_routes(h.app.routes))
        signup = [r for r in routes if r.path == "/subscribe/{slug}"]
        assert {m for r in signup for m in r.methods or ()} >= {"GET", "POST"}, "no sign-up"
        # The first route that matches serves: the plain one, not its documented twin.
        posts = [r for r in signup if "POST" in (r.methods or ())]
        assert not isinstance(posts[0], APIRoute), "FastAPI's handling serves the sign-up"
        in_threads = [
            f"{route.path}: {getattr(call, '__qualname__', call)}"
            for route in routes
            for call in (route.endpoint, *_dependencies_of(route))
            if not _on_the_loop(call)
        ]
        assert in_threads == []
