"""The form that issues a publisher token, sent twice (a double press, a reload, the form sent
again from the browser's history), issues one token, and both answers show it, saying nothing
they do not keep to. Two forms may still issue two tokens of one name: replacing a token relies
on it."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin import publishing
from services.admin.adapters.tables import AdminAuditEntry, PublisherToken
from services.admin.domain.accounts import digest
from services.admin.entrypoints.wording import MESSAGES
from tests.integration.admin.harness import Harness, running, sign_in
from tests.support.journey import hidden_fields
from tests.support.words import admin_text, words

NAME = "WordPress på www.example.no"


async def _issue_form(client: httpx.AsyncClient) -> dict[str, str]:
    """The issue form as a browser sends it: its hidden fields and the name typed in."""
    page = await client.get("/admin/publishers?lang=en")
    assert page.status_code == 200
    form = re.search(r'<form [^>]*aria-labelledby="new-token">.*?</form>', page.text, re.S)
    assert form is not None
    return {**hidden_fields(form.group(0)), "name": NAME, "sites": "https://www.example.no"}


def _shown(answer: httpx.Response) -> str:
    """Return the token a page shows, or fail."""
    found = re.search(r'id="issued" type="text" value="([^"]+)"', answer.text)
    assert found, answer.text
    return html.unescape(found.group(1))


async def _tokens(h: Harness) -> list[PublisherToken]:
    async with h.runtime.sessions() as session:
        return list((await session.scalars(select(PublisherToken))).all())


async def _issued_entries(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        found = await session.scalars(
            select(AdminAuditEntry.id).where(AdminAuditEntry.action == "publisher_token_issued")
        )
        return len(found.all())


async def _live(h: Harness, token: str) -> str | None:
    async with h.runtime.sessions() as session, session.begin():
        found = await publishing.publisher_of(session, token, h.runtime.clock.now())
    return None if found is None else found.name


@asynccontextmanager
async def _operator_with_a_form(
    url: str, tmp_path: Path
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient, dict[str, str]]]:
    """An operator signed in, with the issue form as their browser would send it."""
    async with running(url, tmp_path) as h:
        await h.user("drift", "operator")
        async with h.client() as client:
            await sign_in(client, "drift")
            yield h, client, await _issue_form(client)


async def test_the_issue_form_sent_twice_issues_one_token_and_shows_it_both_times(
    database_url: str, tmp_path: Path
) -> None:
    async with _operator_with_a_form(database_url, tmp_path) as (h, client, form):
        first = await client.post("/admin/publishers?lang=en", data=form)
        again = await client.post("/admin/publishers?lang=en", data=form)
        assert [a.status_code for a in (first, again)] == [200] * 2
        token = _shown(first)
        assert _shown(again) == token
        assert "The token is issued" in again.text
        (stored,) = await _tokens(h)
        assert (stored.name, stored.created_by, stored.revoked_at) == (NAME, "drift", None)
        assert await _live(h, token) == NAME, "the token shown is the one that works"
        assert await _issued_entries(h) == 1


async def test_two_forms_issue_two_tokens_of_one_name_and_a_spent_form_issues_none(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("drift", "operator")
        await h.user("kari", "operator")
        async with h.client() as client, h.client() as other:
            await sign_in(client, "drift")
            await sign_in(other, "kari")
            form = await _issue_form(client)
            old = _shown(await client.post("/admin/publishers?lang=en", data=form))
            # Replacing a token: a new one of the same name, from the form shown anew.
            renewed = await _issue_form(client)
            new = _shown(await client.post("/admin/publishers?lang=en", data=renewed))
            # Another operator sending the first form's values gets a token of their own.
            theirs = {**form, "csrf_token": (await _issue_form(other))["csrf_token"]}
            kari = _shown(await other.post("/admin/publishers?lang=en", data=theirs))
            assert len({old, new, kari}) == 3

            async with h.runtime.sessions() as session:
                number = await session.scalar(
                    select(PublisherToken.id).where(PublisherToken.token_hash == digest(old))
                )
            revoked = await client.post(
                "/admin/publishers/revoke?lang=en",
                data={"csrf_token": renewed["csrf_token"], "token": str(number)},
            )
            assert revoked.status_code == 200
            # The first form, sent again from the browser's history, issues nothing now.
            spent = await client.post("/admin/publishers?lang=en", data=form)
        assert spent.status_code == 409
        assert "that token has since been revoked, so nothing was issued" in spent.text
        assert 'id="issued"' not in spent.text
        assert sorted((t.created_by, t.revoked_at is None) for t in await _tokens(h)) == [
            ("drift", False),
            ("drift", True),
            ("kari", True),
        ]
        assert await _live(h, new) == NAME and await _live(h, kari) == NAME
        assert await _live(h, old) is None
        assert await _issued_entries(h) == 3


async def test_the_issue_form_pressed_twice_at_once_stores_one_token_and_shows_it(
    database_url: str, tmp_path: Path
) -> None:
    async with _operator_with_a_form(database_url, tmp_path) as (h, client, form):
        secret = h.runtime.settings.secret_key
        token = publishing.form_token(secret, "drift", form["form_nonce"])
        # The first press's request has stored its token and not yet committed when the
        # second press's request looks for it, and then stores the same.
        async with h.runtime.sessions() as first, first.begin():
            await publishing.issue(
                first, NAME, "drift", h.runtime.clock.now(), token, sites=("www.example.no",)
            )
            second = asyncio.create_task(client.post("/admin/publishers?lang=en", data=form))
            await asyncio.sleep(0.5)
            assert not second.done(), "the second waits for the first's token"
        answer = await second
        assert answer.status_code == 200
        assert _shown(answer) == token
        (stored,) = await _tokens(h)
        assert stored.revoked_at is None
        assert await _issued_entries(h) == 0, "the first press's request writes its entry"


@pytest.mark.parametrize(("language", "once"), [("en", "once"), ("nb", "gang"), ("nn", "gong")])
async def test_what_the_page_says_of_a_token_shown_again_holds(
    sqlite_url: str, tmp_path: Path, language: str, once: str
) -> None:
    async with _operator_with_a_form(sqlite_url, tmp_path) as (h, client, form):
        await client.post(f"/admin/publishers?lang={language}", data=form)
        again = await client.post(f"/admin/publishers?lang={language}", data=form)
        token = _shown(again)
        listed = await client.get(f"/admin/publishers?lang={language}")
        (stored,) = await _tokens(h)
    said = re.search(r'<div class="notice" role="status"><p>([^<]*)</p>', again.text)
    assert said is not None
    notice = html.unescape(said.group(1))
    # Shown again, it must not claim to be shown only once.
    assert notice == admin_text(language, MESSAGES["token_issued"])
    assert once not in notice.lower()
    # What it says instead: the list never shows it, and varsel keeps no copy of it.
    assert listed.status_code == 200 and token not in listed.text
    assert stored.token_hash == digest(token) and token not in repr(vars(stored))


def _warning(answer: httpx.Response) -> str | None:
    """Return the warning an answer gives beside the token it shows, or None."""
    found = re.search(r"<p><strong>[^<]*</strong> ([^<]*)</p>", answer.text)
    return " ".join(html.unescape(found.group(1)).split()) if found else None


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_token_named_as_a_live_one_is_issued_with_a_warning_as_on_the_command_line(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    page = f"/admin/publishers?lang={language}"
    async with _operator_with_a_form(sqlite_url, tmp_path) as (h, client, form):
        first = await client.post(page, data=form)
        second_form = await _issue_form(client)
        second = await client.post(page, data=second_form)
        third = await client.post(page, data=await _issue_form(client))
        again = await client.post(page, data=second_form)  # the second form, sent again
        other = await client.post(page, data={**await _issue_form(client), "name": "Drupal"})
        assert len(await _tokens(h)) == 4
    one = admin_text(language, "Another live token is also named “%(name)s”.", name=NAME)
    two = words("admin", language).ngettext(
        "Another live token is also named “%(name)s”.",
        "%(count)s other live tokens are also named “%(name)s”.",
        2,
        count=2,
        name=NAME,
    )
    assert [a.status_code for a in (first, second, third, again, other)] == [200] * 5
    assert _warning(first) is None and _warning(other) is None
    for answer, said in ((second, one), (third, two), (again, two)):
        warning = _warning(answer)
        assert warning is not None and warning.startswith(said), warning
        assert _shown(answer).startswith("varsel_pub_"), "the token is issued all the same"
