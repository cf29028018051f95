"""A button in a mail's page pressed twice at once (a double click, a retrying client): one step."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from sqlalchemy import select

from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.outbox import OutboxRow
from shared.vocabulary import Frequency
from tests.support.journey import form_with, hidden_fields
from tests.support.words import page_text

from .harness import RELATED, TOPIC, Harness, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"
AT_ONCE = 6
ROUNDS = 8  # a deadlock needs the two orders to meet; a few people give it the chance


async def _at_once(h: Harness, method: str, url: str, **kwargs: object) -> list[int]:
    """Send the same request from several clients at the same moment; return the statuses."""
    return sorted(await _all_at_once(h, [(method, url, kwargs)] * AT_ONCE))


async def _all_at_once(h: Harness, requests: list[tuple[str, str, dict[str, object]]]) -> list[int]:
    """Send different requests from several clients at the same moment; return the statuses."""
    browsers = [h.browser(client_host=f"192.0.2.{n}") for n in range(1, len(requests) + 1)]
    try:
        answers: list[httpx.Response] = await asyncio.gather(
            *(
                b.request(method, url, **kwargs)  # type: ignore[arg-type]
                for b, (method, url, kwargs) in zip(browsers, requests, strict=True)
            )
        )
    finally:
        for browser in browsers:
            await browser.aclose()
    return [answer.status_code for answer in answers]


async def test_a_confirmation_sent_twice_at_once_confirms_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        token = await h.confirm_token(ADDRESS)
        statuses = await _at_once(h, "POST", f"/api/v1/confirmations/{token}")
        # A retrying client learns that its confirmation worked, not that the link is broken.
        assert statuses == [200] + [409] * (AT_ONCE - 1)
        assert [r.action for r in await h.ledger()] == ["requested", "confirmed"]
        assert await h.events("subscriber.confirmed.v1") == 1
        assert await h.open_topics(ADDRESS) == {TOPIC}


async def test_confirm_pressed_twice_at_once_says_it_is_confirmed(
    database_url: str, tmp_path: Path
) -> None:
    # The browser shows the answer to the last press: it must not call the link broken.
    async with running(database_url, tmp_path) as h:
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        token = await h.confirm_token(ADDRESS)
        page = await h.client.get(f"/confirm/{token}")
        data = hidden_fields(page.text)
        answers = await asyncio.gather(
            *(h.client.post(f"/confirm/{token}", data=data) for _ in range(AT_ONCE))
        )
        answers.append(await h.client.post(f"/confirm/{token}", data=data))  # and once more
        assert [a.status_code for a in answers] == [200] * (AT_ONCE + 1)
        done = page_text("nb", "You have subscribed to alerts about:")
        already = page_text("nb", "Your sign-up is already confirmed")
        assert sum(done in a.text for a in answers) == 1
        assert sum(already in a.text for a in answers) == AT_ONCE
        # Only the winner's page leads to the alerts; the others hand out no manage link.
        assert sum("/manage/" in a.text for a in answers) == 1
        assert [r.action for r in await h.ledger()] == ["requested", "confirmed"]
        assert await h.events("subscriber.confirmed.v1") == 1
        assert await h.open_topics(ADDRESS) == {TOPIC}


async def test_ending_alerts_twice_at_once_ends_them_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS, frequency=Frequency.DAILY)
        token = await h.link_token(ADDRESS, "manage")
        before = len(await h.ledger())
        statuses = await _at_once(
            h, "POST", f"/api/v1/unsubscribe/{token}", json={"topics": [TOPIC]}
        )
        assert statuses == [200] * AT_ONCE  # the link still works; there is only less to end
        assert [r.action for r in (await h.ledger())[before:]] == ["unsubscribed"]
        assert await h.events("subscriber.unsubscribed.v1") == 1
        assert await h.open_topics(ADDRESS) == set()


async def test_erasing_twice_at_once_erases_once(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "unsubscribe")
        before = len(await h.ledger())
        statuses = await _at_once(h, "DELETE", f"/api/v1/subscribers/{token}")
        assert statuses == [200] + [404] * (AT_ONCE - 1)
        assert [r.action for r in (await h.ledger())[before:]] == ["unsubscribed", "erased"]
        assert await h.events("subscriber.unsubscribed.v1") == 1
        assert await h.events("subscriber.erased.v1") == 1
        assert await h.count(Subscriber) == 0


async def test_preferences_saved_twice_at_once_start_each_topic_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "manage")
        before = len(await h.ledger())
        wanted = {"topics": [TOPIC, *RELATED], "frequency": "daily", "language": "nb"}
        statuses = await _at_once(h, "PUT", f"/api/v1/preferences/{token}", json=wanted)
        assert statuses == [200] * AT_ONCE
        open_rows = await h.all(select(Subscription.topic).where(Subscription.ended_at.is_(None)))
        assert sorted(open_rows) == sorted([TOPIC, *RELATED]), "each topic followed once"
        assert [r.action for r in (await h.ledger())[before:]] == ["preferences_changed"]
        assert await h.events("subscriber.preferences_changed.v1") == 1


async def test_erase_on_the_manage_page_pressed_twice_says_the_address_is_gone(
    database_url: str, tmp_path: Path
) -> None:
    # The browser shows the answer to the last press: it must not call the link broken.
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "manage")
        # Every press sends the form the page rendered.
        action, data = form_with((await h.client.get(f"/manage/{token}")).text, "erase")
        answers = await asyncio.gather(*(h.client.post(action, data=data) for _ in range(AT_ONCE)))
        answers.append(await h.client.post(action, data=data))  # and once more
        assert [a.status_code for a in answers] == [200] * (AT_ONCE + 1)
        erased = [a for a in answers if "Lenken virker ikke" not in a.text]
        assert len(erased) == AT_ONCE + 1
        nothing_left = page_text("nb", "There is nothing left to end")
        assert sum(nothing_left in a.text for a in answers) == AT_ONCE
        assert await h.count(Subscriber) == 0
        # The manage link of a later mail, opened again: the address is gone, the link is fine.
        opened = await h.client.get(f"/manage/{token}")
        assert opened.status_code == 200
        assert nothing_left in opened.text


async def test_saving_and_erasing_one_person_at_once_never_fails(
    database_url: str, tmp_path: Path
) -> None:
    # Both end the person's alert about TOPIC. Had one taken the person's row first and the other
    # the alert's, PostgreSQL would find each waiting for the other and abort one: a 500.
    async with running(database_url, tmp_path) as h:
        for n in range(ROUNDS):
            address = f"person{n}@example.no"
            await subscribed(h, address)
            manage = await h.link_token(address, "manage")
            unsubscribe = await h.link_token(address, "unsubscribe")
            save = (
                "PUT",
                f"/api/v1/preferences/{manage}",
                {"json": {"topics": list(RELATED), "frequency": "immediate", "language": "nb"}},
            )
            erase = ("DELETE", f"/api/v1/subscribers/{unsubscribe}", {})
            statuses = await _all_at_once(h, [save, erase, save, erase, save, erase])
            assert sorted(set(statuses)) <= [200, 404], statuses
            assert statuses.count(200) >= 1
            assert await h.subscriber(address) is None, "erased, whichever came first"
        assert await h.count(Subscriber) == 0
        assert await h.count(Subscription) == 0
        erased = [r.action for r in await h.ledger()].count("erased")
        assert erased == ROUNDS, "one erasure each"


async def _unsubscribed_events(h: Harness) -> list[dict[str, object]]:
    rows = await h.all(
        select(OutboxRow.payload)
        .where(OutboxRow.event_type == "subscriber.unsubscribed.v1")
        .order_by(OutboxRow.id)
    )
    return [json.loads(row) for row in rows]


async def test_ending_one_topic_and_all_at_once_announces_that_all_ended(
    database_url: str, tmp_path: Path
) -> None:
    # The mailer forgets a person's digest and queued mails only on an event that says every
    # alert ended. Whichever request ends the last open alert must say so.
    async with running(database_url, tmp_path) as h:
        for n in range(ROUNDS):
            address = f"person{n}@example.no"
            person = await subscribed(h, address, related=RELATED)
            token = await h.link_token(address, "manage")
            url = f"/api/v1/unsubscribe/{token}"
            one = ("POST", url, {"json": {"topics": [TOPIC]}})
            every = ("POST", url, {})
            statuses = await _all_at_once(h, [one, every, one, every])
            assert statuses == [200] * 4
            assert await h.open_topics(address) == set()
            mine = [e for e in await _unsubscribed_events(h) if e["subscriber_id"] == str(person)]
            ended = sorted(t for e in mine for t in e["topics"])  # type: ignore[attr-defined]
            assert ended == sorted([TOPIC, *RELATED]), "each alert ended once"
            assert any(e["all_topics"] for e in mine), mine
