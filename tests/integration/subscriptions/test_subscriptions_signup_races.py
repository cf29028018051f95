"""The sign-up's fast path under stress: same address at once, dropped connections, cached pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select
from starlette.requests import Request

from services.subscriptions.adapters.tables import ConsentRecord, SignupRequest, Subscriber
from services.subscriptions.bootstrap import TEMPLATES, privacy_link
from services.subscriptions.entrypoints.wording import TEMPLATE_GLOBALS
from shared.brand import Brand
from shared.vocabulary import Language
from shared.web.csrf import CsrfGuard
from shared.web.pages import PageRenderer, page_templates
from tests.support.databases import migrated_postgres_database
from tests.support.notices import NOTICES
from tests.support.services import POSTGRES_ADMIN_URL
from tests.support.words import catalogues

from .harness import SECRET, TOPIC, running, sign_up

ADDRESS = "kari.nordmann@example.no"
SIGNUP = "subscriber.signup_requested.v1"


async def test_first_sign_ups_of_one_address_at_once_make_one_person_and_a_request_each(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        browsers = [h.browser(client_host=f"192.0.2.{n}") for n in range(1, 9)]
        try:
            answers = await asyncio.gather(*(sign_up(b, ADDRESS) for b in browsers))
        finally:
            for browser in browsers:
                await browser.aclose()
        assert [a.status_code for a in answers] == [200] * len(browsers)
        assert len({a.text for a in answers}) == 1, "the answers differ"
        assert await h.count(Subscriber) == 1, "one person, however many sign-ups at once"
        # Each sign-up is a request with its own mail (the per-address limit bounds them).
        assert await h.count(SignupRequest) == len(browsers)
        assert await h.events(SIGNUP) == len(browsers)
        ledger = await h.ledger()
        assert [r.action for r in ledger] == ["requested"] * len(browsers)
        notice = NOTICES.current("nb")
        for row in ledger:
            assert row.subject_hash == ledger[0].subject_hash
            assert ADDRESS not in row.subject_hash
            assert row.topics == [TOPIC]
            assert (row.frequency, row.language, row.channel) == ("immediate", "nb", "web")
            assert (row.privacy_version, row.privacy_hash) == (notice.version, notice.sha256)
            assert row.occurred_at == h.clock.now()


async def test_a_new_address_gets_every_row_and_field(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        answer = await sign_up(h.client, ADDRESS, frequency="weekly", lang="en")
        assert answer.status_code == 200
        person = await h.subscriber(ADDRESS)
        assert person is not None
        assert (person.status, person.frequency, person.language) == ("pending", "weekly", "en")
        assert (person.created_at, person.confirmed_at, person.hard_bounces) == (
            h.clock.now(),
            None,
            0,
        )
        request = await h.scalar(select(SignupRequest))
        assert request.subscriber_id == person.id
        assert (request.topics, request.frequency, request.language) == ([TOPIC], "weekly", "en")
        assert request.privacy_version == NOTICES.current("en").version
        assert request.confirmed_at is None
        assert request.expires_at > request.created_at == h.clock.now()
        (row,) = await h.all(select(ConsentRecord))
        assert (row.action, row.topics, row.frequency, row.language) == (
            "requested",
            [TOPIC],
            "weekly",
            "en",
        )
        assert row.privacy_hash == NOTICES.current("en").sha256
        assert row.details is None and row.token_id is None
        assert await h.events(SIGNUP) == 1


async def _drop_connections(url: str) -> None:
    """Make the server end every session on one database, as a restart or failover would."""
    database = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.mark.postgres
async def test_a_sign_up_after_the_server_dropped_its_connections_succeeds(
    postgres_url: str, tmp_path: Path
) -> None:
    async with running(postgres_url, tmp_path) as h:
        assert (await sign_up(h.client, "first@example.no")).status_code == 200
        await _drop_connections(postgres_url)
        # The pool does not ping before use: the first statement finds the connection gone,
        # the pool discards its connections, and the sign-up runs again on a new one.
        answer = await sign_up(h.client, ADDRESS)
        assert answer.status_code == 200, answer.text
        assert await h.subscriber(ADDRESS) is not None
        assert await h.count(SignupRequest) == 2


@pytest.mark.postgres
async def test_a_sign_up_whose_connection_dropped_after_it_was_kept_is_stored_once(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement = asyncpg.connection.Connection.fetch
    dropped: list[int] = []

    async def kept_then_dropped(self: asyncpg.Connection, query: str, *args: object) -> object:
        rows = await statement(self, query, *args)
        if "INSERT INTO sub_subscribers" in query and not dropped:
            # The statement ran and committed itself; the server ends the session before the
            # app learns so, which it then does from the dead connection's next use.
            dropped.append(self.get_server_pid())
            await _terminate(postgres_url, self.get_server_pid())
            await self.fetchval("SELECT 1")
        return rows

    monkeypatch.setattr(asyncpg.connection.Connection, "fetch", kept_then_dropped)
    async with running(postgres_url, tmp_path) as h:
        answer = await sign_up(h.client, ADDRESS)
        assert dropped, "the sign-up's statement never ran"
        assert answer.status_code == 200, answer.text
        assert await h.count(Subscriber) == 1
        assert await h.count(SignupRequest) == 1, "the sign-up was stored twice"
        assert [r.action for r in await h.ledger()] == ["requested"]
        assert await h.events(SIGNUP) == 1, "two confirmation mails for one form"


@pytest.mark.postgres
async def test_a_sign_up_whose_lost_try_commits_during_the_next_is_answered_as_kept(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement = asyncpg.connection.Connection.fetch
    tries: list[str] = []

    async def lost_while_waiting(self: asyncpg.Connection, query: str, *args: object) -> object:
        if "INSERT INTO sub_subscribers" not in query:
            return await statement(self, query, *args)
        tries.append("try")
        if len(tries) > 1:
            return await statement(self, query, *args)
        # The first try waits on the server for a lock; the app loses its connection meanwhile,
        # while the server goes on and commits the try once the lock is released.
        running_on = asyncio.ensure_future(statement(self, query, *args))
        await asyncio.sleep(0.3)
        self.terminate()
        return await running_on

    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    async with running(postgres_url, tmp_path) as h:
        assert (await sign_up(h.client, "other@example.no")).status_code == 200
        locker = await asyncpg.connect(dsn)
        await locker.execute("BEGIN; SELECT * FROM sub_rate_limits FOR UPDATE")

        async def release() -> None:
            await asyncio.sleep(1.5)
            await locker.execute("COMMIT")

        releasing = asyncio.ensure_future(release())
        monkeypatch.setattr(asyncpg.connection.Connection, "fetch", lost_while_waiting)
        try:
            answer = await sign_up(h.client, ADDRESS)
        finally:
            await releasing
            await locker.close()
            monkeypatch.undo()
        assert len(tries) == 2, "the lost try was tried again"
        assert answer.status_code == 200, answer.text
        assert await h.count(SignupRequest) == 2  # the other person's and this one
        assert await h.events(SIGNUP) == 2, "one confirmation mail for this form"


async def _terminate(url: str, pid: int) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


def _request(path: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    )


def test_only_pages_without_a_form_are_served_from_memory() -> None:
    csrf = CsrfGuard(SECRET)
    pages = PageRenderer(
        page_templates(TEMPLATES, catalogues("pages")),
        csrf,
        context={
            "site": "Etaten",
            "privacy_link": partial(privacy_link, "/privacy", "https://varsel.example.no"),
            "brand": Brand(),
            **TEMPLATE_GLOBALS,
        },
    )
    request = _request(f"/subscribe/{TOPIC}")
    first = pages.render(request, "check_email.html", Language.NB, fixed=True, days="7")
    again = pages.render(request, "check_email.html", Language.NB, fixed=True, days="7")
    fresh = pages.render(request, "check_email.html", Language.NB, days="7")
    assert first.body == again.body == fresh.body
    assert (
        pages.render(request, "check_email.html", Language.EN, fixed=True, days="7").body
        != first.body
    )
    # A page without a form sets no CSRF cookie, served from memory or not (docs/privacy.md).
    assert "set-cookie" not in first.headers and "set-cookie" not in fresh.headers
    with pytest.raises(ValueError, match="has a form"):
        pages.render(
            request, "manage_link.html", Language.NB, fixed=True, sent=False, errors=(), email=""
        )
