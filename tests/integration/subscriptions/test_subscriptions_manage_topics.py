"""A manage form naming a topic not offered saves nothing and says so, as the index form does.

A page opened before a topic ended, or a forged post, must not end the alerts the person left
out of it without a word. Real SQLite; the app over ASGI, as a browser posts the form.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from services.subscriptions.entrypoints.wording import TOPIC_NOT_OFFERED
from tests.support.journey import hidden_fields
from tests.support.words import page_text

from .harness import RELATED, TOPIC, running, subscribed

ADDRESS = "kari.nordmann@example.no"


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
@pytest.mark.parametrize("topics", [["nope"], [TOPIC, "gammelt-tema"], [RELATED[0], "x" * 300]])
async def test_a_topic_not_offered_is_refused_in_the_persons_language_and_nothing_changes(
    sqlite_url: str, tmp_path: Path, language: str, topics: list[str]
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS, frequency="weekly", lang=language)
        ledger = [(r.action, r.topics) for r in await h.ledger()]
        manage = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{manage}")
        data = {**hidden_fields(page.text), "action": "save", "frequency": "daily"}
        answer = await h.client.post(f"/manage/{manage}", data={**data, "topics": topics})

        assert answer.status_code == 400, answer.text
        assert f'lang="{language}"' in answer.text
        shown = html.unescape(answer.text)
        assert page_text(language, TOPIC_NOT_OFFERED) in shown
        assert 'aria-describedby="topics-error"' in answer.text
        assert 'value="weekly" checked' in shown, "the person's own rhythm, not the posted one"
        for slug in topics:
            ticked = f'id="topic-{slug}" name="topics" value="{slug}" checked'
            assert (ticked in shown) is (slug in (TOPIC, RELATED[0]))
        assert await h.open_topics(ADDRESS) == {TOPIC}
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.frequency == "weekly"
        assert [(r.action, r.topics) for r in await h.ledger()] == ledger


async def test_the_offered_topics_still_save(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        manage = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{manage}")
        data = {**hidden_fields(page.text), "action": "save", "frequency": "daily"}
        answer = await h.client.post(f"/manage/{manage}", data={**data, "topics": [RELATED[0]]})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/manage/{manage}?saved=1"
        assert await h.open_topics(ADDRESS) == {RELATED[0]}
