"""Publisher tokens: an operator issues and revokes them; a CMS pushes changes with one.

A publisher token is not an admin's: it lives in its own table, names no account and grants
publishing only, and no admin token or session grants publishing (ADR 0015).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import publisher_tokens
from services.admin.adapters.tables import PublisherToken
from services.admin.domain import publisher_sites
from services.admin.domain.accounts import digest
from shared.carried_text import carried_line, typed_invisible, without_format_characters
from shared.web.html_text import html_text

# Tells a leaked token's kind at a glance (and to secret scanners).
PREFIX: Final = "varsel_pub_"
NAME_LIMIT: Final = 100
FORM_NONCE_BYTES: Final = 24


class TokenNameRefused(ValueError):
    """A publisher token's name that is empty or too long."""


class TokenNameNoncharacter(TokenNameRefused):
    """A publisher token's name holding a noncharacter (its code point is the message): no page
    that lists the name may hold one, and left out unseen, the name kept would not be the one
    the operator typed and will look for."""


class TokenNameBidiControl(TokenNameRefused):
    """A publisher token's name holding a direction control (its code point is the message):
    the name would read in another order in the list, the audit log and the API's log lines."""


def token_name(typed: str) -> str:
    """Return a token's name as kept: one line, without a direction override (U+202E) that
    would make it read backwards in the list, the audit log and the API's log lines, and
    without a noncharacter (U+FDD0, U+FFFE), which no page that lists the name may hold
    (``issue`` refuses a name typed with either; names kept before may hold them); nor with
    an invisible format character (a zero-width space), so «cms» typed with one is the name
    «cms», and shares its idempotency keys and hourly limit, as the list shows it."""
    return " ".join(without_format_characters(html_text(carried_line(typed))).split())


def check_name(typed: str) -> str:
    """Return a token's name as kept (``token_name``); raise TokenNameRefused if it cannot be."""
    if (found := typed_invisible(typed)) is not None:
        kind, character = found
        refusal = TokenNameNoncharacter if kind == "noncharacter" else TokenNameBidiControl
        raise refusal(character)
    name = token_name(typed)
    if not name or len(name) > NAME_LIMIT:
        raise TokenNameRefused(name)
    return name


async def issue(
    session: AsyncSession,
    name: str,
    created_by: str,
    now: datetime,
    token: str | None = None,
    *,
    sites: Sequence[str],
) -> tuple[int, str]:
    """Issue a named publisher token for some sites (as ``publisher_sites.sites`` keeps them);
    return its number and the token (only its hash is kept).

    ``token`` is the one an issue form makes (``form_token``); none is a fresh random one.
    Raises ``publisher_sites.SiteRefused`` without a site: a new token opens no site unnamed.
    """
    name = check_name(name)
    if not sites:
        raise publisher_sites.SiteRefused("site_none", "")
    kept = publisher_sites.stored(publisher_sites.site(s) for s in sites)
    token = token or PREFIX + secrets.token_urlsafe(32)
    return await publisher_tokens.add(session, name, digest(token), created_by, now, kept), token


class FormSpent(ValueError):
    """An issue form whose token was issued and has since been revoked."""


def form_nonce() -> str:
    """Return a fresh value for an issue form to carry: one form issues one token."""
    return secrets.token_urlsafe(FORM_NONCE_BYTES)


def is_form_nonce(value: str) -> bool:
    """Tell whether a posted value is one ``form_nonce`` makes (a form of an older release
    carries none, and issues a random token as before)."""
    return len(value) == len(form_nonce()) and value.isascii() and value.isprintable()


def form_token(secret_key: str, issuer: str, nonce: str) -> str:
    """Return the token an issue form opened with ``nonce`` issues for ``issuer``, the same
    however often the form is sent (a double press, a reload).

    Keyed with the server's secret, so the nonce the browser holds tells nothing of the token;
    the issuer is in the key's message, so another operator sending the form gets a token of
    their own, not a sight of this one.
    """
    key = hashlib.sha256(b"varsel-publisher-form\x00" + secret_key.encode()).digest()
    mac = hmac.new(key, f"{issuer}\x00{nonce}".encode(), hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def issued_before(session: AsyncSession, token: str) -> int | None:
    """Return the number of the live token a form issued before; None if it issued none.

    Raises FormSpent if it issued one that was revoked since: showing it again would hand out
    a token that opens nothing, and issuing another from that form would be a second.
    """
    found = await publisher_tokens.by_hash(session, digest(token))
    if found is None:
        return None
    if found.revoked_at is not None:
        raise FormSpent(found.name)
    return found.id


async def namesakes(session: AsyncSession, name: str) -> list[int]:
    """Return the numbers of the live tokens with this name (as kept), oldest first.

    Idempotency keys and the hourly limit belong to a name, not to one token: tokens that share
    a name share both, as replacing a token wants and two systems do not.
    """
    return await publisher_tokens.live_named(session, token_name(name))


async def revoke(session: AsyncSession, token_id: int, now: datetime) -> str | None:
    """Revoke a publisher token; return its name, or None if it was not live."""
    return await publisher_tokens.revoke(session, token_id, now)


async def listed(session: AsyncSession) -> Sequence[PublisherToken]:
    """Return every publisher token, live ones first."""
    return await publisher_tokens.every(session)


@dataclass(frozen=True, slots=True)
class Presented:
    """A live publisher token as a request presented it: its name and its sites (None: every
    site, a token issued before tokens had sites)."""

    name: str
    sites: tuple[str, ...] | None


async def publisher_of(session: AsyncSession, token: str, now: datetime) -> Presented | None:
    """Return the live publisher token presented, noting its use; None if none."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = await publisher_tokens.use(session, digest(token), now)
    if found is None:
        return None
    name, sites = found
    return Presented(name, publisher_sites.read(sites))


def sites_of(token: PublisherToken) -> tuple[str, ...] | None:
    """Return a listed token's sites; None for one issued before tokens had sites."""
    return publisher_sites.read(token.sites)
