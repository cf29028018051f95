"""Cookies are Secure wherever varsel is configured at an https address, also behind a proxy
that ends TLS and is not trusted (the request then says http); a developer's http keeps them
plain, or the browser would never send them back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.admin.harness import PASSWORD, csrf_token, running


def _set_cookie(response: httpx.Response, name: str) -> str:
    """Return the Set-Cookie header of one cookie, lower case."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header.lower()


def _flags(header: str) -> set[str]:
    return {part.strip().partition("=")[0] for part in header.split(";")[1:]}


@pytest.mark.parametrize(
    ("settings", "secure"),
    [
        ({"base_url": "https://varsel.example.no"}, True),
        # The staff side at its own internal https address, the public pages at another.
        ({"base_url": "https://varsel.example.no", "admin_url": "https://admin.example"}, True),
        ({}, False),  # the developer's http://127.0.0.1:8000
    ],
    ids=["https", "https-admin-apart", "developer-http"],
)
async def test_cookies_are_secure_when_the_configured_address_is_https(
    sqlite_url: str, tmp_path: Path, settings: dict[str, str], secure: bool
) -> None:
    async with running(sqlite_url, tmp_path, **settings) as h:
        await h.user("ops", "operator")
        # Plain http to the app, as from a proxy that ends TLS without trusted-proxy settings.
        async with h.client(scheme="http") as client:
            public = await client.get("/subscribe/norge-i-verden")
            login = await client.get("/admin/login")
            csrf = _set_cookie(login, "varsel_admin_csrf")
            # Sent back by hand: a cookie jar keeps a Secure cookie from plain http.
            value = login.headers["set-cookie"].split(";")[0]
            signed_in = await client.post(
                "/admin/login",
                data={"name": "ops", "password": PASSWORD, "csrf_token": csrf_token(login.text)},
                headers={"cookie": value},
            )
        assert signed_in.status_code == 303, signed_in.text
        for header in (
            _set_cookie(public, "varsel_csrf"),
            csrf,
            _set_cookie(signed_in, "varsel_admin"),
        ):
            assert ("secure" in _flags(header)) is secure, header
            assert "httponly" in _flags(header)
