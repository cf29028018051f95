"""An answer that must not tell whether an address gets alerts does the same database work for
every address: the same statements and commits, so its time does not tell either.

Measured times are too noisy for a test; the work that makes them is not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from shared.events import ManageLinkRequested
from tests.support.journey import hidden_fields

from .harness import Harness, csrf, running, sign_up, subscribed

CONFIRMED = "kari.nordmann@example.no"
PENDING = "ola.nordmann@example.no"
UNKNOWN = "per.hansen@example.no"


# The steps of the request being sent: SQLAlchemy runs a statement in the context of the task
# that awaits it, and the app's own tasks (the relay, the catalogue check) began before this.
_STEPS: ContextVar[list[str] | None] = ContextVar("steps", default=None)


def _note(step: str) -> None:
    steps = _STEPS.get()
    if steps is not None:
        steps.append(" ".join(step.split()))


@contextmanager
def _noting(engine: Engine) -> Iterator[None]:
    """Note the statements, begins and commits that the request being sent has run."""

    def statement(_conn: Connection, _cursor: Any, sql: str, *_args: Any) -> None:
        _note(sql)

    def step(name: str) -> Callable[[Connection], None]:
        return lambda _conn: _note(name)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", statement),
        ("begin", step("BEGIN")),
        ("commit", step("COMMIT")),
        ("rollback", step("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


Ask = Callable[[str], Awaitable[httpx.Response]]


async def _work_of(h: Harness, ask: Ask, address: str) -> list[str]:
    """Return the statements, begins and commits one request had the database do."""
    steps: list[str] = []
    noting = _STEPS.set(steps)
    try:
        with _noting(h.runtime.engine.sync_engine):
            answer = await ask(address)
    finally:
        _STEPS.reset(noting)
    assert answer.status_code in (200, 202), answer.text
    assert any("sub_rate_limits" in step for step in steps), steps
    return steps


async def test_a_manage_link_costs_the_same_for_every_address(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, CONFIRMED)
        assert (await sign_up(h.client, PENDING)).status_code == 200
        events = await h.events(ManageLinkRequested.type_name())
        form = (await h.client.get("/manage-link")).text
        fields = {**hidden_fields(form), "csrf_token": csrf(form)}

        async def page(address: str) -> httpx.Response:
            return await h.client.post("/manage-link", data={**fields, "email": address})

        async def api(address: str) -> httpx.Response:
            return await h.client.post("/api/v1/manage-links", json={"email": address})

        asks: tuple[Ask, ...] = (page, api)
        for ask in asks:
            confirmed = await _work_of(h, ask, CONFIRMED)
            pending = await _work_of(h, ask, PENDING)
            unknown = await _work_of(h, ask, UNKNOWN)
            assert confirmed == pending == unknown
            assert confirmed.count("COMMIT") == 1
        # Only the confirmed person's requests became a mail to send.
        assert await h.events(ManageLinkRequested.type_name()) == events + 2
