"""WebSub (W3C Recommendation, 2018) as the watcher subscribes: pure rules, no I/O.

Written by hand (ADR 0013): the protocol's subscriber side is three small exchanges (a form
POST to the hub, an echoed challenge, an HMAC over the pushed body). The Python libraries that
exist are bound to Flask or Django, keep subscriptions in memory, or have had no release for
years; none fits an async service whose subscriptions must survive restarts and be shared by
replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

# While a hub has confirmed a subscription, the feed is still polled, this many times slower:
# a hub that goes quiet costs at most that much delay, and nothing is missed for good.
PUSHED_PACE = 4
# What varsel asks for; the hub decides (hub.lease_seconds in its verification).
LEASE_SECONDS = 7 * 24 * 3600
# The longest lease varsel keeps, whatever a hub grants: VARSEL_WEBSUB_LEASE_SECONDS's upper
# bound. A longer one only makes varsel renew early; a number past the calendar cannot be stored.
MAX_LEASE_SECONDS = 90 * 24 * 3600
# A subscription is renewed once this share of its lease has passed.
RENEW_SHARE = 0.8
# The digests of the last this many bodies a subscription was pushed are kept: the same body
# again (a hub's retry, or a captured push sent by someone else) is answered but not taken.
# A feed pushed twenty times a day is remembered for seven weeks; an older push is told by its
# dates (stale_push.older_than_stored).
PUSH_MEMORY = 1000
# The new pushes a feed's hub may deliver in an hour (shared.web.rate_limit's window); more
# are answered 429, which tells the hub to try later, and polling reads the feed meanwhile.
PUSHES_PER_HOUR = 60
# After a refused or failed request, ask the hub again this much later.
RETRY_AFTER = timedelta(hours=1)
# The signature methods the spec names; sha1 is still what most hubs send.
_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}  # fmt: skip
# Where a feed declares its hub: before its first entry or item.
_HEAD_END = re.compile(rb"<(?:\w+:)?(?:entry|item)\b", re.IGNORECASE)
_LINK_TAG = re.compile(rb"<(?:\w+:)?link\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HEADER_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^,;]+)*)")


class SubscriptionState(StrEnum):
    """Where a source's subscription at its hub stands."""

    WANTED = "wanted"  # a hub was found; varsel has not asked it yet (or asks again)
    REQUESTED = "requested"  # the hub accepted the request; its verification has not come
    ACTIVE = "active"  # the hub verified it: pushes are taken until the lease ends
    DENIED = "denied"  # the hub refused it (hub.mode=denied)
    FAILED = "failed"  # the request failed; asked again after RETRY_AFTER


@dataclass(frozen=True, slots=True)
class HubLink:
    """A feed's hub and the topic URL it is known there by (rel="self")."""

    hub: str
    topic: str


def discover(body: bytes, link_header: str | None, feed_url: str) -> HubLink | None:
    """Return the hub a feed advertises in its Link header or its own head; None if none."""
    links = _header_links(link_header or "")
    head = body[: m.start()] if (m := _HEAD_END.search(body)) else body
    for match in _LINK_TAG.finditer(head):
        attributes = {
            name.decode("ascii", "replace").lower(): (double or single)
            for name, double, single in _ATTRIBUTE.findall(match.group(1))
        }
        href = attributes.get("href", b"").decode("utf-8", "replace").strip()
        for rel in attributes.get("rel", b"").decode("ascii", "replace").lower().split():
            if href:
                links.setdefault(rel, href)
    hub = links.get("hub")
    if not hub:
        return None
    topic = links.get("self") or feed_url
    hub, topic = urljoin(feed_url, hub), urljoin(feed_url, topic)
    if not (_web_address(hub) and _web_address(topic)):
        return None
    return HubLink(hub=hub, topic=topic)


def _header_links(header: str) -> dict[str, str]:
    """Return the Link header's targets by relation (RFC 8288), the first of each."""
    links: dict[str, str] = {}
    for target, parameters in _HEADER_LINK.findall(header):
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "rel":
                for rel in value.strip().strip('"').lower().split():
                    links.setdefault(rel, target.strip())
    return links


def _web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and len(url) <= 2000


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Tell whether an X-Hub-Signature header is the HMAC of the body under the secret."""
    method, _, given = (header or "").strip().partition("=")
    digest = _METHODS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, digest).hexdigest()
    # As bytes: compare_digest raises on a str with a character above 0x7f, and a header
    # byte above 0x7f arrives as one (latin-1); no hex digest has it, so it cannot match.
    given_bytes = given.strip().lower().encode("utf-8")
    return hmac.compare_digest(expected.encode("ascii"), given_bytes)


def callback_reachable(base_url: str, *, allow_loopback: bool) -> bool:
    """Tell whether a hub on the internet could reach callbacks under the public base URL.

    A loopback or private address (or a ``localhost`` name) is nowhere a hub can call, so
    asking one to would only make it retry against nothing; the test setting allows it.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if not host:
        return False
    if allow_loopback:
        return True
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name: public unless the operator says otherwise
    return ip.is_global


def renew_at(verified_at: datetime, lease_until: datetime) -> datetime:
    """Return when to ask the hub again, well before the lease ends."""
    return verified_at + (lease_until - verified_at) * RENEW_SHARE


def pace(interval_seconds: int, push_until: datetime | None, now: datetime) -> int:
    """Return the polling interval: slower while a hub has promised to push."""
    if push_until is not None and push_until > now:
        return interval_seconds * PUSHED_PACE
    return interval_seconds


def verification_answer(
    *,
    state: SubscriptionState,
    topic: str,
    mode: str,
    asked_topic: str,
) -> bool:
    """Tell whether a hub's verification GET is for a request varsel made (echo the challenge).

    A subscribe is confirmed while varsel asked for it (or renews it); an unsubscribe is never
    asked for by varsel, so a verification of one is always refused.
    """
    if asked_topic != topic:
        return False
    return mode == "subscribe" and state in (SubscriptionState.REQUESTED, SubscriptionState.ACTIVE)
