"""The embedded sign-up form's own token: signed, short-lived, bound to the form and its host page.

A publisher puts the form in an iframe on its own site. Browsers do not send a cookie to a
cross-site frame (``SameSite=Lax`` over http; Safari, and anyone who chooses to, block
third-party cookies over https too), so the cookie-bound CSRF token of the other forms can never
match there. This token needs no cookie: it names the topic, the origin of the page the form is
embedded on and when it was issued, signed with the server key. It stops forms being prepared
for another topic or another host page and stops old forms being replayed; it does not tie a
form to one browser, which the sign-up does not need (anyone may ask for a confirmation mail,
and only the mailbox can confirm). The host page's origin is proven by the browser: the form is
served with ``frame-ancestors`` naming exactly that origin, so no other page can show it.

itsdangerous (Pallets) does the signing and timing; only the clock is ours, so tests can move it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shared.clock import Clock
from shared.tokens import CLOCK_SKEW

FIELD: Final = "form_token"
# Long enough to read the page, fill in the form and come back from a coffee; short enough that
# a harvested token is worth little.
LIFETIME: Final = timedelta(hours=2)
_MAX_TOKEN = 500


def parse_origin(value: str) -> str | None:
    """Return ``scheme://host[:port]`` in lower case, or None unless ``value`` is just an origin.

    An origin goes into a ``Content-Security-Policy`` header, so nothing else may pass: no path,
    query, user name, wildcard, space or separator.
    """
    text = value.strip().rstrip("/").lower()
    if not text or len(text) > 200 or any(c in text for c in " ;,*'\"\\\t\r\n"):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


class Refusal(enum.Enum):
    """Why a submitted embedded form is not accepted."""

    EXPIRED = "expired"  # genuine, but older than LIFETIME: the person may simply send it again
    INVALID = "invalid"  # missing, tampered with, or made for another topic or host page


@dataclass(frozen=True, slots=True)
class Checked:
    """A genuine, current token for the form it was sent with."""

    origin: str


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer reading our clock, optionally a little ahead of it."""

    def __init__(self, *args: Any, clock: Clock, ahead: timedelta, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._ahead = ahead

    def get_timestamp(self) -> int:
        return int((self._clock.now() + self._ahead).timestamp())


class EmbedForms:
    """Issues and checks the tokens of embedded forms, and knows the origins allowed to embed."""

    def __init__(self, secret_key: str, clock: Clock, allowed_origins: tuple[str, ...]) -> None:
        self._allowed = tuple(o for o in (parse_origin(a) for a in allowed_origins) if o)
        salt = "varsel-embed-form"
        self._issuer = URLSafeTimedSerializer(
            secret_key,
            salt=salt,
            signer=_ClockSigner,
            signer_kwargs={"clock": clock, "ahead": timedelta(0)},
        )
        # Another replica's clock may run a little ahead: its fresh tokens must not look issued
        # in the future (itsdangerous refuses those), nor die early.
        self._checker = URLSafeTimedSerializer(
            secret_key,
            salt=salt,
            signer=_ClockSigner,
            signer_kwargs={"clock": clock, "ahead": CLOCK_SKEW},
        )
        self._max_age = int((LIFETIME + CLOCK_SKEW).total_seconds())

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """Return the origins whose pages may embed the form (empty: embedding is off)."""
        return self._allowed

    def host_origin(self, asked: str | None) -> str | None:
        """Return the allowed origin a form is embedded on, or None if it may not be.

        ``asked`` is the ``origin`` the publisher's iframe names in the form's address; it may be
        left out when exactly one origin is allowed.
        """
        if asked is None or asked == "":
            return self._allowed[0] if len(self._allowed) == 1 else None
        origin = parse_origin(asked)
        return origin if origin in self._allowed else None

    def issue(self, slug: str, origin: str) -> str:
        """Return a token for the form of ``slug`` embedded on a page of ``origin``."""
        return str(self._issuer.dumps({"slug": slug, "origin": origin}))

    def check(self, token: str, slug: str, origin: str) -> Checked | Refusal:
        """Tell whether a token is genuine, current and was issued for this form and host page."""
        if not token or len(token) > _MAX_TOKEN:
            return Refusal.INVALID
        try:
            claims = self._checker.loads(token, max_age=self._max_age)
        except SignatureExpired:
            return Refusal.EXPIRED
        except BadSignature:
            return Refusal.INVALID
        if not isinstance(claims, dict) or claims != {"slug": slug, "origin": origin}:
            return Refusal.INVALID
        return Checked(origin=origin)
