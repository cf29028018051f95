"""WebSub's pure rules: finding a feed's hub, checking a push's signature, the polling pace."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.outcome import Answer, Health, Rules, SourceState
from services.watcher.domain.websub import (
    PUSHED_PACE,
    HubLink,
    SubscriptionState,
    callback_reachable,
    discover,
    pace,
    renew_at,
    signature_valid,
    verification_answer,
)
from tests.support.source_states import decided

FEED = "https://www.example.no/nyheter.atom"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Nyheter</title>
  <link rel="hub" href="https://hub.example.net/"/>
  <link href="https://www.example.no/nyheter.atom" rel="self"/>
  <entry><title>En</title><link rel="hub" href="https://wrong.example.net/"/></entry>
</feed>"""

RSS = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
  <title>Nyheter</title>
  <atom:link rel='self' href='/rss' />
  <atom:link rel='hub' href='https://hub.example.net/'/>
  <item><title>En</title></item>
</channel></rss>"""


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        (ATOM, None, HubLink("https://hub.example.net/", FEED)),
        (RSS, None, HubLink("https://hub.example.net/", "https://www.example.no/rss")),
        (
            b"<feed/>",
            '<https://hub.example.net/>; rel="hub", <https://www.example.no/self>; rel="self"',
            HubLink("https://hub.example.net/", "https://www.example.no/self"),
        ),
        # The header wins over the body; without rel="self" the topic is the feed's address.
        (
            ATOM,
            "<https://header.example.net/>; rel=hub",
            HubLink("https://header.example.net/", FEED),
        ),
        (b"<feed><link rel='alternate' href='/'/></feed>", None, None),
        (b"<feed><link rel='hub' href='javascript:alert(1)'/></feed>", None, None),
        # A hub named only inside an entry is not the feed's.
        (b"<feed><entry><link rel='hub' href='https://x.example/'/></entry></feed>", None, None),
    ],
)
def test_discover_finds_the_feeds_own_hub(
    body: bytes, header: str | None, expected: HubLink | None
) -> None:
    assert discover(body, header, FEED) == expected


def _signed(method: str, secret: str, body: bytes) -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_a_signature_by_any_method_of_the_spec_is_accepted(method: str) -> None:
    assert signature_valid("hemmelig", b"<feed/>", _signed(method, "hemmelig", b"<feed/>"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "md5=0123",
        _signed("sha256", "annen", b"<feed/>"),  # another secret
        _signed("sha256", "hemmelig", b"<feed>x</feed>"),  # another body
        "sha256=\u00e9",  # a header byte above 0x7f, as the server decodes it (latin-1)
    ],
)
def test_a_missing_or_wrong_signature_is_refused(header: str | None) -> None:
    assert not signature_valid("hemmelig", b"<feed/>", header)


@pytest.mark.parametrize(
    ("base_url", "loopback", "expected"),
    [
        ("https://varsel.example.no", False, True),
        ("http://127.0.0.1:8000", False, False),
        ("http://localhost:8000", False, False),
        ("http://10.1.2.3", False, False),
        ("http://[::1]:8000", False, False),
        ("http://varsel.internal", False, False),
        ("http://127.0.0.1:8000", True, True),
    ],
)
def test_hubs_are_asked_only_when_they_could_call_back(
    base_url: str, loopback: bool, expected: bool
) -> None:
    assert callback_reachable(base_url, allow_loopback=loopback) is expected


def test_only_a_subscribe_varsel_asked_for_is_confirmed() -> None:
    asked = {"topic": FEED, "asked_topic": FEED}
    assert verification_answer(state=SubscriptionState.REQUESTED, mode="subscribe", **asked)
    assert verification_answer(state=SubscriptionState.ACTIVE, mode="subscribe", **asked)
    assert not verification_answer(state=SubscriptionState.WANTED, mode="subscribe", **asked)
    assert not verification_answer(state=SubscriptionState.DENIED, mode="subscribe", **asked)
    assert not verification_answer(state=SubscriptionState.ACTIVE, mode="unsubscribe", **asked)
    assert not verification_answer(
        state=SubscriptionState.ACTIVE, mode="subscribe", topic=FEED + "?x", asked_topic=FEED
    )


def test_renewal_comes_well_before_the_lease_ends() -> None:
    lease_end = NOW + timedelta(days=10)
    assert NOW < renew_at(NOW, lease_end) <= lease_end - timedelta(days=2)


def test_polling_slows_down_only_while_a_hub_has_promised_to_push() -> None:
    assert pace(600, None, NOW) == 600
    assert pace(600, NOW + timedelta(hours=1), NOW) == 600 * PUSHED_PACE
    assert pace(600, NOW, NOW) == 600  # the lease has ended


def test_decide_schedules_the_next_poll_at_the_pushed_pace() -> None:
    state = SourceState(
        id=1,
        url=FEED,
        rules=Rules("feed", None, ()),
        interval_seconds=600,
        status=Health.OK,
        consecutive_failures=0,
        last_error=None,
        title="Nyheter",
        etag=None,
        last_modified=None,
        body_hash="b",
        fingerprint="f",
        push_until=NOW + timedelta(days=1),
    )
    outcome = decided(state, Answer(not_modified=True), NOW)
    assert outcome.next_check_at == NOW + timedelta(seconds=600 * PUSHED_PACE)
