"""The aiohttp session the WebSub hub client posts its subscriptions on, with the address guard.

Polls go through the watcher's own client (http_client, ADR 0029): a subscription is one POST
a feed and a day, where aiohttp's features cost nothing that matters.
"""

from __future__ import annotations

import aiohttp

from services.watcher.adapters.address_guard import PublicOnlyResolver


def open_session(
    *, user_agent: str, max_connections: int = 100, public_only: bool = False
) -> aiohttp.ClientSession:
    """Open a session; call it inside the event loop that will use it.

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
