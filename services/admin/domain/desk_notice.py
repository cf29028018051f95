"""The notice a saved source form carries to the page it redirects to: how many publishers'
pushes ending review mode put on the editors' desk (docs/publishing.md).

The save answers with a redirect (Post/Redirect/Get), so a reload of the page it leads to reads
the list again instead of sending the form a second time, which would move nothing and tell
nothing. The counts ride in the redirect's address, signed with the server's secret for the
account that saved and dated: a link anyone wrote, or one from another account, claims nothing,
and an old one (a bookmark, the browser's history) no longer shows what was true minutes ago.
Only the two numbers the signature covers are ever shown, never text from the address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

PARAMETER: Final = "to_desk"
# Long enough for the browser to follow the redirect on a slow line; short enough that the
# page's own address, reloaded or bookmarked later, stops claiming what moved then.
LIFETIME: Final = timedelta(minutes=5)
# A clock a little behind on another replica must not refuse a notice signed just now.
_SKEW: Final = timedelta(seconds=30)
_MAX_COUNT_DIGITS: Final = 6
_MAC_CHARS: Final = 22  # 128 bits of HMAC-SHA256, base64url without padding


@dataclass(frozen=True, slots=True)
class OnDesk:
    """What a save put on the desk: pushes waiting for an editor, and minor ones recorded."""

    waiting: int
    minor: int


def _mac(secret_key: str, actor: str, on_desk: OnDesk, issued: int) -> str:
    key = hashlib.sha256(b"varsel-desk-notice\x00" + secret_key.encode()).digest()
    message = f"{actor}\x00{on_desk.waiting}\x00{on_desk.minor}\x00{issued}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:_MAC_CHARS]


def signed(secret_key: str, actor: str, on_desk: OnDesk, now: datetime) -> str:
    """Return the parameter's value telling ``actor`` of ``on_desk``, signed at ``now``."""
    issued = int(now.timestamp())
    mac = _mac(secret_key, actor, on_desk, issued)
    return f"{on_desk.waiting}.{on_desk.minor}.{issued}.{mac}"


def read(secret_key: str, actor: str, value: str | None, now: datetime) -> OnDesk | None:
    """Return what a parameter's value tells ``actor`` at ``now``; None if it tells nothing
    (absent, malformed, signed for another account or with another key, or too old)."""
    parts = (value or "").split(".")
    if len(parts) != 4:
        return None
    waiting, minor, issued, mac = parts
    counts = (waiting, minor)
    if not all(c.isdigit() and c.isascii() and len(c) <= _MAX_COUNT_DIGITS for c in counts):
        return None
    if not (issued.isdigit() and issued.isascii() and len(issued) <= 12):
        return None
    on_desk = OnDesk(int(waiting), int(minor))
    expected = _mac(secret_key, actor, on_desk, int(issued))
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    age = now - datetime.fromtimestamp(int(issued), tz=UTC)
    if not -_SKEW <= age <= LIFETIME:
        return None
    return on_desk if on_desk.waiting or on_desk.minor else None
