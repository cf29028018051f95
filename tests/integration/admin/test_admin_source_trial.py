""" "Test this source": an editor sees what varsel would see at an address, or why not.

A real HTTP server on loopback serves a page, a feed and a PDF from the watcher's fixtures;
the admin fetches them with the watcher's own fetcher and extraction.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import services.watcher.trial as trial_module
from services.admin.adapters.tables import AdminAuditEntry
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in
from tests.integration.admin.source_trial_support import FEED, site
from tests.support.site import FixtureSite

__all__ = ["site"]  # the fixture, used by name


@asynccontextmanager
async def editor_client(
    sqlite_url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    settings.setdefault("allow_private_addresses", True)
    async with running(sqlite_url, tmp_path, **settings) as h:
        await h.user("ed", "editor")
        async with h.client() as client:
            assert (await sign_in(client, "ed")).status_code == 303
            yield h, client


async def trial(
    client: httpx.AsyncClient, url: str, kind: str = "page", **fields: str
) -> httpx.Response:
    """Post the form as the English page does (its words are the ones asserted)."""
    form = await client.get("/admin/sources/test?lang=en")
    assert form.status_code == 200
    data = {"url": url, "kind": kind, "csrf_token": csrf_token(form.text), **fields}
    return await client.post("/admin/sources/test?lang=en", data=data)


async def test_a_page_shows_its_title_dates_and_text_with_selector_and_ignore_applied(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with editor_client(sqlite_url, tmp_path) as (h, client):
        plain = await trial(client, f"{site.base_url}/side")
        assert plain.status_code == 200, plain.text
        assert "What varsel sees" in plain.text
        assert "Norge i verden" in plain.text
        selected = await trial(client, f"{site.base_url}/side", selector="h1")
        assert selected.status_code == 200
        assert selected.text.count("<p>") < plain.text.count("<p>")
        ignored = await trial(client, f"{site.base_url}/side", selector="main", ignore="Norge")
        assert ignored.status_code == 200
        async with h.runtime.sessions() as session:
            entries = (
                await session.scalars(
                    select(AdminAuditEntry).where(AdminAuditEntry.action == "source_tested")
                )
            ).all()
        assert [e.actor for e in entries] == ["ed"] * 3
        assert entries[0].target == f"{site.base_url}/side"


async def test_a_feed_shows_its_items_and_a_pdf_its_text(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with editor_client(sqlite_url, tmp_path) as (_, client):
        feed = await trial(client, f"{site.base_url}/nyheter.rss", "feed")
        assert feed.status_code == 200, feed.text
        assert 'class="trial-items"' in feed.text
        assert feed.text.count("<li><p><strong>") == FEED.count(b"<item>") > 1
        pdf = await trial(client, f"{site.base_url}/rapport.pdf", "pdf")
        assert pdf.status_code == 200, pdf.text
        assert 'class="trial-text"' in pdf.text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("path", "kind", "fields", "status", "reason"),
    [
        ("/side", "page", {"selector": "#finnes-ikke"}, 200, "matched nothing"),
        ("/side", "page", {"selector": "p[["}, 400, "invalid CSS selector"),
        ("/side", "page", {"ignore": "(uavsluttet"}, 400, "invalid ignore pattern"),
        ("/lang-linje", "page", {"ignore": "(a|aa)+$"}, 400, "took too long on this page"),
        ("/side", "video", {}, 400, "unknown kind"),
        ("/feil", "page", {}, 200, "HTTP 500"),
        ("/mangler", "page", {}, 200, "HTTP 404"),
        ("/fjernet-side", "page", {}, 200, "now leads to the front page of its site"),
        ("/side", "feed", {}, 200, "feed"),
    ],
)
async def test_what_cannot_be_shown_is_said_on_the_page(
    sqlite_url: str,
    tmp_path: Path,
    site: FixtureSite,
    path: str,
    kind: str,
    fields: dict[str, str],
    status: int,
    reason: str,
) -> None:
    async with editor_client(sqlite_url, tmp_path) as (_, client):
        response = await trial(client, f"{site.base_url}{path}", kind, **fields)
        assert response.status_code == status, response.text
        assert 'role="alert"' in response.text
        assert reason in response.text
        assert "What varsel sees" not in response.text


async def test_a_body_the_parser_trips_over_is_said_on_the_page_as_a_poll_says_it(
    sqlite_url: str, tmp_path: Path, site: FixtureSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tripping(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")  # a parser's own bug

    monkeypatch.setattr(trial_module, "parse_content", tripping)
    async with editor_client(sqlite_url, tmp_path) as (_, client):
        response = await trial(client, f"{site.base_url}/side")

    # Raised, it reached the editor as an error page of the admin's own.
    assert response.status_code == 200, response.text
    assert "varsel could not read any content there" in response.text
    assert "unexpected error: RecursionError reading the body" in response.text


@pytest.mark.timeout(120)
async def test_an_ignore_pattern_that_runs_away_on_the_page_is_named_with_advice(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with editor_client(sqlite_url, tmp_path) as (_, client):
        ignore = "Sist oppdatert .*\n(a|aa)+$"
        response = await trial(client, f"{site.base_url}/lang-linje", ignore=ignore)
        assert response.status_code == 400, response.text
        assert "An ignore pattern took too long on this source's text" in response.text
        assert "the ignore pattern &#39;(a|aa)+$&#39; took too long on this page" in response.text
        # The same page with the pattern the report named: read at once, the line kept.
        response = await trial(client, f"{site.base_url}/lang-linje", ignore="(a+)+$")
        assert response.status_code == 200, response.text
        assert "a" * 60 + "!" in response.text


async def test_bad_addresses_unreachable_hosts_and_big_bodies_are_refused_clearly(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with editor_client(sqlite_url, tmp_path, fetch_max_bytes=1000) as (_, client):
        for url in ("file:///etc/passwd", "gopher://example.org/", "ikke en adresse", ""):
            response = await trial(client, url)
            assert response.status_code == 400, url
            assert "http" in response.text
        gone = await trial(client, f"http://127.0.0.1:{_closed_port()}/side")
        assert gone.status_code == 200
        assert "cannot fetch" in gone.text
        big = await trial(client, f"{site.base_url}/side")
        assert big.status_code == 200
        assert "1000-byte cap" in big.text


async def test_loopback_is_refused_unless_private_addresses_are_allowed(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    # The watcher's own guard: a trial reaches nothing a poll could not.
    async with editor_client(sqlite_url, tmp_path, allow_private_addresses=False) as (
        _,
        client,
    ):
        response = await trial(client, f"{site.base_url}/side")
        assert response.status_code == 200
        assert "private or internal network" in response.text
        assert site.hits("/side") == 0


async def test_a_form_without_its_csrf_token_is_refused(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with editor_client(sqlite_url, tmp_path) as (_, client):
        response = await client.post(
            "/admin/sources/test", data={"url": f"{site.base_url}/side", "kind": "page"}
        )
        assert response.status_code == 400
        assert site.hits("/side") == 0


async def test_an_address_with_a_name_and_password_is_refused_and_kept_out_of_the_audit_log(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    # Refused as the save form refuses it, on the trial page and from the source form alike.
    with_password = site.base_url.replace("http://", "http://redaktor:hemmelig@") + "/side"
    async with editor_client(sqlite_url, tmp_path) as (h, client):
        alone = await trial(client, with_password)
        form = await client.get("/admin/sources?lang=en")
        data = {"url": with_password, "kind": "page", "action": "test"}
        on_form = await client.post(
            "/admin/sources?lang=en", data={**data, "csrf_token": csrf_token(form.text)}
        )
        async with h.runtime.sessions() as session:
            entries = (
                await session.scalars(
                    select(AdminAuditEntry).where(AdminAuditEntry.action == "source_tested")
                )
            ).all()
    for answer in (alone, on_form):
        assert answer.status_code == 400, answer.text
        assert "Leave the name and password out of the address" in answer.text
    assert site.hits("/side") == 0
    assert [e.target for e in entries] == [f"{site.base_url}/side"] * 2
    assert [(e.details or {}).get("outcome") for e in entries] == ["url_credentials"] * 2
