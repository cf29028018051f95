"""Whether a staff form was posted from a page of this site, as the browser tells it."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from fastapi import Request

from shared.settings import Settings

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _site(address: str) -> tuple[str, int] | None:
    """Return an origin's or URL's host and port (the scheme's own when none is written)."""
    try:
        parts = urlsplit(address.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname.lower(), port


def sent_from_here(request: Request, settings: Settings) -> bool:
    """Tell whether the browser's ``Origin`` names this site, or names none.

    Browsers name the page's origin in every form they post, and write ``null`` where the
    page's referrer policy hides it (the staff pages' is ``no-referrer``); tools name none.
    A named origin is this site when its host and port are those the request was sent to, or
    those of the admin's or the public pages' configured address (a proxy may change the
    Host on the way); the scheme is not compared, since a proxy in front ends TLS. Any other
    is another site's page: a sibling subdomain that set the CSRF cookie, say, which the
    token's binding to the sign-in (CsrfGuard) refuses too.
    """
    origin = request.headers.get("origin")
    if origin is None or origin.strip() == "null":
        return True
    named = _site(origin)
    if named is None:
        return False
    scheme = request.url.scheme
    own = {
        _site(f"{scheme}://{request.headers.get('host', '')}"),
        _site(settings.resolved_admin_url),
        _site(settings.base_url),
    }
    # The scheme aside: an origin's port is the one its own scheme implies.
    host, port = named
    return (host, port) in own or any(
        site is not None and site[0] == host and {site[1], port} <= {80, 443} for site in own
    )
