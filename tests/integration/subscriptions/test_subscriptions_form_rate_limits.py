"""Rate limits of the public forms: per address, per client (an IPv6 client by its /64), the
page that says when to try again, and sign-ups repeated while one is pending."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.subscriptions.adapters.tables import SignupRequest

from .harness import TOPIC, csrf, running, sign_up

ADDRESS = "kari.nordmann@example.no"
SIGNUP = "subscriber.signup_requested.v1"


async def test_rate_limit_per_address(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, signup_limit_per_address=2) as h:
        for host in ("192.0.2.1", "192.0.2.2"):
            async with h.browser(host) as browser:
                assert (await sign_up(browser, ADDRESS)).status_code == 200
        async with h.browser("192.0.2.3") as browser:
            # Case and spacing do not make another address.
            limited = await sign_up(browser, "  Kari.Nordmann@EXAMPLE.no ")
            assert limited.status_code == 429
            assert "For mange forsøk" in limited.text
            assert "Prøv igjen om 60 minutter." in limited.text  # a whole window left
            assert (await sign_up(browser, "ola@example.no")).status_code == 200
            english = await sign_up(browser, ADDRESS, lang="en")
            assert english.status_code == 429
            assert "Too many attempts" in english.text
        # A new hour, a new allowance.
        h.clock.advance(timedelta(hours=1))
        async with h.browser("192.0.2.4") as browser:
            assert (await sign_up(browser, ADDRESS)).status_code == 200


async def test_rate_limit_per_client(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, signup_limit_per_client=3) as h:
        for n in range(3):
            assert (await sign_up(h.client, f"person{n}@example.no")).status_code == 200
        before = await h.state()
        limited = await sign_up(h.client, "person9@example.no")
        assert limited.status_code == 429
        assert "fra denne maskinen" in limited.text
        # Refused whole: no person, request, consent record or event of it is kept.
        assert await h.subscriber("person9@example.no") is None
        assert await h.state() == before
        # A known address over the limit is refused the same way.
        assert (await sign_up(h.client, "person0@example.no")).status_code == 429
        assert await h.state() == before
        async with h.browser("198.51.100.7") as elsewhere:
            assert (await sign_up(elsewhere, "person9@example.no")).status_code == 200
        # The manage-link form counts separately but the same way.
        token = csrf((await h.client.get("/manage-link")).text)
        answers = [
            await h.client.post(
                "/manage-link", data={"email": f"p{n}@example.no", "csrf_token": token}
            )
            for n in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "For mange forsøk" in answers[-1].text


async def test_rate_limit_counts_an_ipv6_client_by_its_64(sqlite_url: str, tmp_path: Path) -> None:
    """Any address of one /64 is the same client: it is one home, office or server's."""
    async with running(sqlite_url, tmp_path, signup_limit_per_client=2) as h:
        for n in range(2):
            async with h.browser(f"2001:db8:5:6::{n + 1}") as browser:
                assert (await sign_up(browser, f"person{n}@example.no")).status_code == 200
        async with h.browser("2001:db8:5:6:ffff::1") as browser:
            assert (await sign_up(browser, "person9@example.no")).status_code == 429
        async with h.browser("2001:db8:5:7::1") as elsewhere:
            assert (await sign_up(elsewhere, "person9@example.no")).status_code == 200


async def test_the_rate_limited_page_says_when_to_try_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, signup_limit_per_client=1) as h:
        h.clock.advance(timedelta(minutes=20, seconds=30))
        assert (await sign_up(h.client, "a@example.no")).status_code == 200
        limited = await sign_up(h.client, "b@example.no")
        assert limited.status_code == 429
        # The window of the limit ends on the hour: 39 minutes 30 seconds from now.
        assert limited.headers["retry-after"] == "2370"
        token = csrf((await h.client.get("/manage-link")).text)
        asks = [
            await h.client.post(
                "/manage-link", data={"email": f"p{n}@example.no", "csrf_token": token}
            )
            for n in range(2)
        ]
        assert [a.status_code for a in asks] == [200, 429]
        assert asks[-1].headers["retry-after"] == "2370"
        api = await h.client.post(
            "/api/v1/subscriptions", json={"email": "c@example.no", "topics": [TOPIC]}
        )
        assert api.status_code == 429
        assert api.headers["retry-after"] == "2370"


async def test_signing_up_again_while_pending_mails_each_request_up_to_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, signup_limit_per_address=3) as h:
        for n in range(3):
            async with h.browser(f"192.0.2.{n}") as browser:
                assert (await sign_up(browser, ADDRESS)).status_code == 200
        # Each sign-up is a request of its own, with its own mail, and the first is untouched.
        assert await h.events(SIGNUP) == 3
        assert await h.count(SignupRequest, SignupRequest.confirmed_at.is_(None)) == 3
        before = await h.state()
        async with h.browser("198.51.100.9") as browser:
            assert (await sign_up(browser, ADDRESS)).status_code == 429
        assert await h.state() == before, "over the limit, nothing is stored or mailed"
        assert [r.action for r in await h.ledger()] == ["requested"] * 3
