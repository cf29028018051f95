"""CSRF protection for every form, public or staff: a signed double-submit token.

The token is an HMAC of a random value kept in a cookie; the form carries the same token. A
cross-site form cannot read the cookie, so it cannot forge the field. Written by hand because
the maintained CSRF middlewares for Starlette protect every POST, and RFC 8058 requires the
one-click endpoint to accept a bare POST with no cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "varsel_csrf"
FIELD = "csrf_token"


class CsrfGuard:
    """Issues and checks form tokens bound to a browser cookie.

    ``scope`` keys a side's tokens apart: the staff side's are not the public side's, so a
    pair read from a public page opens no staff form, even where someone could set the staff
    side's cookie. The public side keeps the unscoped key, so its forms open in browsers
    across an upgrade still post.
    """

    def __init__(self, secret_key: str, *, scope: str = "") -> None:
        scoped = f"{scope}\x00".encode() if scope else b""
        self._key = hashlib.sha256(b"varsel-csrf\x00" + scoped + secret_key.encode()).digest()

    def new_cookie(self) -> str:
        """Return a fresh random cookie value."""
        return secrets.token_urlsafe(24)

    def token_for(self, cookie: str, session: str = "") -> str:
        """Return the form token that matches a cookie value (and a sign-in's session cookie).

        Bound to the session, a token is worth nothing to someone who can set the browser's
        CSRF cookie (a page on a sibling subdomain, another port of the host) without knowing
        its session: a pair they read from their own sign-in page opens no form of a signed-in
        staff member. Without a session the token is the cookie's alone, as before.
        """
        said = f"{cookie}\x00{session}" if session else cookie
        return hmac.new(self._key, said.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None, session: str = "") -> bool:
        """Tell whether a submitted form token matches the browser's cookie (and session)."""
        if not cookie or not token or len(cookie) > 100 or len(token) > 100:
            return False
        # As bytes: compare_digest raises on a str with a character above 0x7f.
        return hmac.compare_digest(self.token_for(cookie, session).encode(), token.encode())
