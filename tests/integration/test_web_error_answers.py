"""Answers no route gives itself: an unknown path, a wrong method, a body too large, a slash
redirect. Each carries the security headers; a browser gets a page in its language, the API
and its clients JSON as before; no redirect names a host a request made up.

Over ASGI on SQLite (the subscriptions harness), and the admin beside it for its slash.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from shared.web.forms import MAX_FORM_FIELDS
from tests.integration.subscriptions.harness import TOPIC, running
from tests.support.databases import migrated_sqlite

SITE = "http://testserver/"
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


def _secured(answer: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert answer.headers.get(name) == value, (answer.request.url, name)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


async def _requests(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> dict[int, httpx.Response]:
    """Return an answer of each kind: 404, 405 and 413 (declared and streamed)."""
    return {
        404: await client.get("/confirm", headers=headers),  # a link cut after its path
        405: await client.delete(f"/subscribe/{TOPIC}", headers=headers),
        413: await client.post(f"/subscribe/{TOPIC}", content=b"x" * 70_000, headers=headers),
    }


async def test_a_browser_gets_a_page_in_its_language_with_the_headers(tmp_path: Path) -> None:
    async with running(migrated_sqlite(tmp_path / "varsel.db"), tmp_path) as h:
        answers = await _requests(h.client, BROWSER)
        english = await h.client.get("/confirm?lang=en", headers=BROWSER)
        nynorsk = await h.client.get("/nope", headers={**BROWSER, "accept-language": "nn"})
    for status, answer in answers.items():
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text.startswith("<!doctype html>") and '<html lang="nb">' in answer.text
        assert 'href="/?lang=nb"' in answer.text, "a way on from the page"
        _secured(answer)
    assert "Fant ikke siden" in answers[404].text
    assert "hele lenken" in answers[404].text
    assert "Siden kan ikke åpnes på den måten" in answers[405].text
    assert "GET" in answers[405].headers["allow"], "the 405's Allow is kept"
    assert "Det ble sendt for mye" in answers[413].text
    assert "Page not found" in english.text and '<html lang="en">' in english.text
    assert "Fann ikkje sida" in nynorsk.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", f"/subscribe/{TOPIC}", "GET, HEAD, POST"),
        ("PATCH", "/api/v1/preferences/x", "GET, HEAD, PUT"),
        ("OPTIONS", "/manage-link", "GET, HEAD, POST"),
        ("POST", "/static/varsel.css", "GET, HEAD"),  # the files' own app's, kept
    ],
)
async def test_a_wrong_method_is_told_every_method_the_path_serves(
    tmp_path: Path, method: str, path: str, allowed: str
) -> None:
    # Starlette named only the first route's: «Allow: GET» where POST is served too.
    async with running(migrated_sqlite(tmp_path / "varsel.db"), tmp_path) as h:
        for headers in (BROWSER, {"accept": "application/json"}):
            answer = await h.client.request(method, path, headers=headers)
            assert answer.status_code == 405
            assert answer.headers["allow"] == allowed


@pytest.mark.parametrize("accept", ["*/*", "application/json"])
async def test_the_api_and_its_clients_get_json_with_the_headers(
    tmp_path: Path, accept: str
) -> None:
    async with running(migrated_sqlite(tmp_path / "varsel.db"), tmp_path) as h:
        answers = await _requests(h.client, {"accept": accept})
        api = await h.client.get("/api/v1/nope", headers=BROWSER)
        api_limit = await h.client.post(
            "/api/v1/subscriptions", content=b"x" * 70_000, headers=BROWSER
        )
    for status, answer in [*answers.items(), (404, api), (413, api_limit)]:
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/json"
        assert "detail" in answer.json()
        _secured(answer)


async def test_a_slash_redirect_never_names_the_host_a_request_gave(tmp_path: Path) -> None:
    async with running(
        migrated_sqlite(tmp_path / "varsel.db"), tmp_path, services=("subscriptions", "admin")
    ) as h:
        for path in ("/admin/", f"/subscribe/{TOPIC}/"):
            answer = await h.client.get(path, headers={"host": "evil.example"})
            assert answer.status_code == 307, path
            assert answer.headers["location"] == path.rstrip("/"), path
            _secured(answer)


# One field more than a form is read with (shared/web/forms.py): empty fields, far below the
# body's limit.
_FIELDS = "&".join("f=" for _ in range(MAX_FORM_FIELDS + 1)).encode()
_FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_a_form_with_too_many_fields_gets_a_page_in_its_language(tmp_path: Path) -> None:
    async with running(migrated_sqlite(tmp_path / "varsel.db"), tmp_path) as h:
        manage = "x" * 40  # a made-up token: the form is read before the token is
        paths = (f"/subscribe/{TOPIC}", f"/manage/{manage}", f"/unsubscribe/{manage}")
        norwegian = [
            await h.client.post(path, content=_FIELDS, headers={**BROWSER, **_FORM})
            for path in paths
        ]
        english = await h.client.post(
            f"/subscribe/{TOPIC}?lang=en", content=_FIELDS, headers={**BROWSER, **_FORM}
        )
        api = await h.client.post(
            f"/subscribe/{TOPIC}", content=_FIELDS, headers={"accept": "application/json", **_FORM}
        )
    for answer in [*norwegian, english]:
        assert answer.status_code == 400, answer.request.url
        assert answer.headers["content-type"].startswith("text/html"), answer.request.url
        assert answer.text.startswith("<!doctype html>")
        _secured(answer)
    for answer in norwegian:
        assert '<html lang="nb">' in answer.text
        assert "Skjemaet kunne ikke leses" in answer.text
        assert "flere felt" in answer.text, "the reason"
    assert '<html lang="en">' in english.text and "The form could not be read" in english.text
    assert api.status_code == 400 and api.headers["content-type"] == "application/json"
    assert "detail" in api.json()


async def test_an_error_pages_links_stay_on_this_site_whatever_path_was_asked(
    tmp_path: Path,
) -> None:
    """A link to ``//evil.example/`` on varsel's host gets the not-found page; its language
    links and forms must lead to this site, not to the host the path names (a browser reads
    ``//host/…`` and ``/\\host/…`` as another site's address)."""
    asked = ("//evil.example/", "//evil.example/manage-link", "/\\evil.example/", "///evil.example")
    for services in (("subscriptions",), ("admin",)):
        async with running(
            migrated_sqlite(tmp_path / f"{services[0]}.db"), tmp_path, services=services
        ) as h:
            for path in asked:
                answer = await h.client.get(f"{SITE}{path[1:]}", headers=BROWSER)
                assert answer.status_code == 404, (services, path)
                assert answer.text.startswith("<!doctype html>"), (services, path)
                links = re.findall(r'(?:href|action)="([^"#][^"]*)"', answer.text)
                assert links, (services, path)
                for link in links:
                    # Browsers take a backslash for a slash in an address; none may be left.
                    assert "\\" not in link, (services, path, link)
                    assert urlsplit(urljoin(SITE, link)).netloc == "testserver", (path, link)
