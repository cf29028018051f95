"""A button in a mail's page pressed twice at once (a double click, a retrying client): one step."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select

from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.vocabulary import Frequency
from tests.support.words import page_text

from .harness import RELATED, TOPIC, Harness, csrf, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"
AT_ONCE = 6


async def _at_once(h: Harness, method: str, url: str, **kwargs: object) -> list[int]:
    """Send the same request from several clients at the same moment; return the statuses."""
    browsers = [h.browser(client_host=f"192.0.2.{n}") for n in range(1, AT_ONCE + 1)]
    try:
        answers: list[httpx.Response] = await asyncio.gather(
            *(b.request(method, url, **kwargs) for b in browsers)  # type: ignore[arg-type]
        )
    finally:
        for browser in browsers:
            await browser.aclose()
    return sorted(answer.status_code for answer in answers)


async def test_a_confirmation_sent_twice_at_once_confirms_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        token = await h.confirm_token(ADDRESS)
        statuses = await _at_once(h, "POST", f"/api/v1/confirmations/{token}")
        assert statuses == [200] + [404] * (AT_ONCE - 1)
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
        page = await h.client.get(f"/manage/{token}")
        data = {"csrf_token": csrf(page.text), "action": "erase"}
        answers = await asyncio.gather(
            *(h.client.post(f"/manage/{token}", data=data) for _ in range(AT_ONCE))
        )
        answers.append(await h.client.post(f"/manage/{token}", data=data))  # and once more
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
