"""The watcher's one aiohttp session: the connection pool, cookies and the address guard.

The fetcher talks to aiohttp directly (ADR 0009): httpx over an aiohttp transport cost about
0.15 ms of CPU per poll in httpx's request, URL, header and response objects, on top of
aiohttp's own 0.2 ms. aiohttp parses HTTP in C and keeps cookies per host; the fetcher decodes
gzip and deflate itself (content_coding), where a stream cut short shows.
"""

from __future__ import annotations

import aiohttp

from services.watcher.adapters.address_guard import PublicOnlyResolver


def open_session(
    *, user_agent: str, max_connections: int = 100, public_only: bool = False
) -> aiohttp.ClientSession:
    """Open a session for polling; call it inside the event loop that will use it.

    ``user_agent`` names the installation to the sites it polls (VARSEL_USER_AGENT).

    With ``public_only`` the connection's own resolver refuses private, loopback and
    link-local answers (address_guard): the addresses checked are the ones connected to.
    """
    resolver = PublicOnlyResolver() if public_only else None
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max_connections, resolver=resolver),
        # unsafe: keep cookies for sources addressed by IP too (aiohttp drops them by default);
        # some sites send first-time visitors through a cookie-setting redirect.
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        skip_auto_headers=("Accept",),
        trust_env=False,  # no proxy from the environment: the address guard sees the real host
    )
