"""A browser that blocks cookies: the forms reached by a mail's link work, since the link's token
proves the post; the forms that carry no such token refuse it and say the cookie is missing; a
post without a valid link token changes nothing."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from services.subscriptions.entrypoints.wording import FORM_NEEDS_COOKIE, FORM_TOO_OLD
from tests.support.journey import form_with, hidden_fields
from tests.support.words import page_text

from .harness import (
    ENDED_CATALOGUE,
    RELATED,
    TOPIC,
    UNRELATED,
    confirm,
    csrf,
    press,
    running,
    sign_up,
    subscribed,
)

ADDRESS = "kari.nordmann@example.no"


async def _opened(browser: httpx.AsyncClient, path: str) -> httpx.Response:
    """Open a page as a browser that keeps no cookie; it must hand out none."""
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    assert "set-cookie" not in page.headers, path
    assert 'name="csrf_token"' not in page.text, path
    return page


async def test_a_browser_that_blocks_cookies_confirms_manages_unsubscribes_and_erases(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        # Signed up elsewhere (the sign-up form needs its cookie); every link is followed in a
        # browser that never sends one.
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        confirm = f"/confirm/{await h.confirm_token(ADDRESS)}"
        async with h.browser() as browser:
            page = await _opened(browser, confirm)
            done = await browser.post(confirm, data=hidden_fields(page.text))
            assert done.status_code == 200, done.text
            assert page_text("nb", "You have subscribed to alerts about:") in done.text
            assert await h.open_topics(ADDRESS) == {TOPIC}
            link = re.search(r'href="(/manage/[^"?]+)', done.text)
            assert link is not None
            manage = link[1]

            page = await _opened(browser, manage)
            chosen = {"action": "save", "topics": [TOPIC, RELATED[0]], "frequency": "weekly"}
            saved = await browser.post(
                manage, data={**hidden_fields(page.text), **chosen}, follow_redirects=True
            )
            assert saved.status_code == 200, saved.text
            assert page_text("nb", "Your changes are saved.") in saved.text
            assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[0]}
            person = await h.subscriber(ADDRESS)
            assert person is not None and person.frequency == "weekly"

            unsubscribe = f"/unsubscribe/{await h.link_token(ADDRESS, 'unsubscribe')}"
            page = await _opened(browser, unsubscribe)
            action, data = form_with(page.text, "unsubscribe_all")
            ended = await browser.post(action, data=data)
            assert ended.status_code == 200, ended.text
            assert page_text("nb", "Your alerts have ended") in ended.text
            assert await h.open_topics(ADDRESS) == set()

            page = await _opened(browser, unsubscribe)
            action, data = form_with(page.text, "erase")
            erased = await browser.post(action, data=data)
            assert erased.status_code == 200, erased.text
            assert page_text("nb", "Your email address is deleted") in erased.text
            assert await h.subscriber(ADDRESS) is None
            assert not browser.cookies


async def test_the_manage_page_erases_without_a_cookie(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        manage = f"/manage/{await h.link_token(ADDRESS, 'manage')}"
        async with h.browser() as browser:
            page = await _opened(browser, manage)
            action, data = form_with(page.text, "erase")
            erased = await browser.post(action, data=data)
        assert erased.status_code == 200, erased.text
        assert await h.subscriber(ADDRESS) is None


async def test_a_post_without_a_valid_link_token_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        assert (await sign_up(h.client, "pending@example.no")).status_code == 200
        pending = await h.confirm_token("pending@example.no")
        manage = await h.link_token(ADDRESS, "manage")
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        before = await h.state()
        # No token, a token spoilt by one character, and a token made for another purpose.
        spoilt = {
            "confirm": pending[:-1] + ("A" if pending[-1] != "A" else "B"),
            "manage": unsubscribe,
            "unsubscribe": manage[:-1] + ("A" if manage[-1] != "A" else "B"),
        }
        fields = {
            "action": "erase",
            "privacy_version": "1",
            "privacy_language": "nb",
            "topics": TOPIC,
            "frequency": "daily",
        }
        async with h.browser() as browser:
            for path, token in spoilt.items():
                for address in (f"/{path}/", f"/{path}/{token}"):
                    answer = await browser.post(address, data=fields)
                    assert answer.status_code in (404, 405), (address, answer.status_code)
        assert await h.state() == before
        assert await h.open_topics(ADDRESS) == {TOPIC}


async def test_forms_without_a_link_token_say_that_they_need_their_cookie(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        needs_cookie = page_text("nb", FORM_NEEDS_COOKIE)
        too_old = page_text("nb", FORM_TOO_OLD)
        forms = {
            f"/subscribe/{TOPIC}": {
                "email": ADDRESS,
                "frequency": "daily",
                "page": f"/subscribe/{TOPIC}",
            },
            "/": {"email": ADDRESS, "frequency": "daily", "topics": TOPIC, "page": "/"},
            "/manage-link": {"email": ADDRESS},
        }
        for path, data in forms.items():
            # The fields of the page as another browser was shown it, its token and all.
            token = csrf((await h.client.get(path)).text)
            sent = {**data, "csrf_token": token, "lang": "nb"}
            async with h.browser() as browser:  # it sends no cookie back
                refused = await browser.post(path, data=sent)
            assert refused.status_code == 400, path
            assert needs_cookie in html.unescape(refused.text), path
            assert too_old not in html.unescape(refused.text), path
            # With its cookie but a token that does not match, the form is "too old", as before.
            stale = await h.client.post(path, data={**sent, "csrf_token": "0" * 64})
            assert stale.status_code == 400, path
            assert too_old in html.unescape(stale.text), path
            assert csrf(stale.text)
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_pages_without_a_form_that_needs_the_cookie_set_none(
    sqlite_url: str, tmp_path: Path
) -> None:
    # docs/privacy.md: the cookie is set only where a form needs it, and the pages reached from
    # a link in a mail set none, whatever those links lead to by now.
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        assert (await sign_up(h.client, ADDRESS, slug=UNRELATED)).status_code == 200
        confirmed = f"/confirm/{await h.confirm_token(ADDRESS)}"
        assert (await confirm(h, ADDRESS)).status_code == 200
        erased = "erased@example.no"
        await subscribed(h, erased, slug=UNRELATED)
        manage = f"/manage/{await h.link_token(erased, 'manage')}"
        unsubscribe = f"/unsubscribe/{await h.link_token(erased, 'unsubscribe')}"
        assert (await press(h.client, unsubscribe, "erase")).status_code == 200
        posted = {"privacy_version": "1", "privacy_language": "nb", "action": "unsubscribe_all"}
        pages = {
            confirmed: 200,  # already confirmed
            manage: 200,  # nothing to end: the person was erased
            unsubscribe: 200,
            "/confirm/not-a-token": 404,
            "/manage/not-a-token": 404,
            "/unsubscribe/not-a-token": 404,
            "/subscribe/finnes-ikke": 404,
            "/subscribe/gammelt-tema": 410,
        }
        answers = []
        for path, status in pages.items():
            for method in ("GET", "POST"):
                async with h.browser() as browser:  # a first visit: no cookie yet
                    answer = await browser.request(method, path, data=posted)
                assert answer.status_code == status, (method, path)
                answers.append(answer)
        for path, status in {"/privacy": 200, "/accessibility": 200, "/finnes-ikke": 404}.items():
            async with h.browser() as browser:
                answer = await browser.get(path)
            assert answer.status_code == status, path
            answers.append(answer)
        cookies = [f"{a.request.method} {a.url.path}" for a in answers if "set-cookie" in a.headers]
        assert cookies == []
        # The forms that need it still get it.
        for path in (f"/subscribe/{UNRELATED}", "/", "/manage-link"):
            async with h.browser() as browser:
                answer = await browser.get(path)
            assert "varsel_csrf=" in answer.headers.get("set-cookie", ""), path
