"""A manage form naming a topic not offered saves nothing and says so, as the index form does.

A page opened before a topic ended, or a forged post, must not end the alerts the person left
out of it without a word. Real SQLite; the app over ASGI, as a browser posts the form.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from services.subscriptions import handlers
from services.subscriptions.entrypoints.wording import CHANGED_MEANWHILE, TOPIC_NOT_OFFERED
from tests.support.catalogues import catalogue_now
from tests.support.journey import hidden_fields
from tests.support.words import page_text

from .harness import (
    ENDED_CATALOGUE,
    RELATED,
    TOPIC,
    Harness,
    confirm,
    running,
    sign_up,
    subscribed,
)

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


async def test_saving_leaves_the_alerts_of_an_ended_topic_as_its_end_left_them(
    database_url: str, tmp_path: Path
) -> None:
    # The page never showed the ended topic: leaving it unticked is no withdrawal of hers, and
    # if the topic is brought back, she alone must not have lost it.
    config = tmp_path / "catalogue.toml"
    config.write_text(
        ENDED_CATALOGUE.replace('retired = true\nsuccessor = "helsenyheter"\n', ""),
        encoding="utf-8",
    )
    async with running(database_url, tmp_path, config=config) as h:
        await subscribed(h, ADDRESS, slug="gammelt-tema")
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(database_url, tmp_path, config=config) as h:
        ledger = [(r.action, r.topics) for r in await h.ledger()]
        manage = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{manage}")
        assert 'value="gammelt-tema"' not in page.text
        data = {**hidden_fields(page.text), "action": "save", "frequency": "daily"}

        saved = await h.client.post(f"/manage/{manage}", data={**data, "topics": ["helsenyheter"]})
        body = {"topics": [], "frequency": "weekly", "language": "nb"}
        api = await h.client.put(f"/api/v1/preferences/{manage}", json=body)

        assert saved.status_code == 303, saved.text
        assert api.status_code == 200, api.text
        assert await h.open_topics(ADDRESS) == {"gammelt-tema"}
        steps = [(r.action, r.topics) for r in await h.ledger()][len(ledger) :]
        assert steps == [
            ("preferences_changed", ["helsenyheter"]),
            ("unsubscribed", ["helsenyheter"]),
            ("preferences_changed", []),
        ]


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_an_address_whose_mail_bounced_cannot_start_alerts_that_would_never_be_sent(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        person_id = await subscribed(h, ADDRESS, lang=language)
        manage = await h.link_token(ADDRESS, "manage")
        before_bounces = await h.client.get(f"/manage/{manage}")
        web = h.app.state.subscriptions_web
        await handlers.record_bounce(web.uow(), web.deps, person_id, limit=1)
        assert await h.open_topics(ADDRESS) == set()
        ledger = [(r.action, r.topics) for r in await h.ledger()]

        # The manage link of an older mail: it says why nothing comes and how to get alerts
        # again, and offers no topics to tick, since nothing is sent to the address.
        page = await h.client.get(f"/manage/{manage}")
        assert page.status_code == 200
        shown = html.unescape(page.text)
        stopped = "We have stopped your alerts: email to your address could not be delivered."
        assert page_text(language, stopped) in shown
        assert page_text(language, "Choose topics and sign up again") in shown
        assert 'value="save"' not in page.text and 'name="topics"' not in page.text
        assert 'value="erase"' in page.text, "the address can still be deleted"

        # The page opened before, saved now, and the API: nothing starts, and they say why.
        data = {**hidden_fields(before_bounces.text), "action": "save", "frequency": "daily"}
        saved = await h.client.post(f"/manage/{manage}", data={**data, "topics": [TOPIC]})
        assert saved.status_code == 409
        assert page_text(language, stopped) in html.unescape(saved.text)
        body = {"topics": [TOPIC], "frequency": "daily", "language": language}
        api = await h.client.put(f"/api/v1/preferences/{manage}", json=body)
        assert api.status_code == 409 and "could not be delivered" in api.json()["detail"]
        assert await h.open_topics(ADDRESS) == set()
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.frequency == "immediate"
        assert [(r.action, r.topics) for r in await h.ledger()] == ledger

        # A new sign-up, confirmed from the mailbox, starts them again, and the form is back.
        assert (await sign_up(h.client, ADDRESS, lang=language)).status_code == 200
        assert (await confirm(h, ADDRESS)).status_code == 200
        assert await h.open_topics(ADDRESS) == {TOPIC}
        again = await h.client.get(f"/manage/{manage}")
        assert 'value="save"' in again.text
        assert page_text(language, stopped) not in html.unescape(again.text)


# Both topics offered, the first naming the second as related; ENDED_CATALOGUE ends the second.
BOTH_LIVE = ENDED_CATALOGUE.replace('retired = true\nsuccessor = "helsenyheter"\n', "").replace(
    'slug = "helsenyheter"\n', 'slug = "helsenyheter"\nrelated = ["gammelt-tema"]\n'
)


@asynccontextmanager
async def _following_both(url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, str]]:
    """Run the app on BOTH_LIVE with a person following both topics; yield it and the
    person's manage token."""
    config = tmp_path / "catalogue.toml"
    config.write_text(BOTH_LIVE, encoding="utf-8")
    async with running(url, tmp_path, config=config) as h:
        await subscribed(h, ADDRESS, slug="helsenyheter", related=["gammelt-tema"])
        assert await h.open_topics(ADDRESS) == {"gammelt-tema", "helsenyheter"}
        yield h, await h.link_token(ADDRESS, "manage")


async def test_a_topic_brought_back_after_the_page_was_shown_is_not_ended_by_a_save(
    database_url: str, tmp_path: Path
) -> None:
    # The page did not list the ended topic, so leaving it out was no withdrawal. Brought back
    # before the save, it was ended all the same, as if the person had unticked it.
    async with _following_both(database_url, tmp_path) as (h, manage):
        await catalogue_now(h.runtime, tmp_path / "ended.toml", ENDED_CATALOGUE)
        page = await h.client.get(f"/manage/{manage}")
        assert 'value="gammelt-tema"' not in page.text
        await catalogue_now(h.runtime, tmp_path / "back.toml", BOTH_LIVE)
        ledger = len(await h.ledger())

        data = {**hidden_fields(page.text), "action": "save", "frequency": "weekly"}
        saved = await h.client.post(f"/manage/{manage}", data={**data, "topics": ["helsenyheter"]})

        assert saved.status_code == 303, saved.text
        assert await h.open_topics(ADDRESS) == {"gammelt-tema", "helsenyheter"}
        steps = [(r.action, r.topics, r.frequency) for r in await h.ledger()][ledger:]
        assert steps == [("preferences_changed", ["helsenyheter"], "weekly")]


async def test_a_topic_unticked_on_the_page_ends_though_it_ended_before_the_save(
    database_url: str, tmp_path: Path
) -> None:
    # The person unticked it on the page: a withdrawal. Ended by an editor before the save, it
    # stayed open, and the person would get its alerts again if it were brought back.
    async with _following_both(database_url, tmp_path) as (h, manage):
        page = await h.client.get(f"/manage/{manage}")
        assert 'value="gammelt-tema" checked' in page.text
        await catalogue_now(h.runtime, tmp_path / "ended.toml", ENDED_CATALOGUE)
        ledger = len(await h.ledger())

        data = {**hidden_fields(page.text), "action": "save", "frequency": "immediate"}
        saved = await h.client.post(f"/manage/{manage}", data={**data, "topics": ["helsenyheter"]})

        assert saved.status_code == 303, saved.text
        assert await h.open_topics(ADDRESS) == {"helsenyheter"}
        steps = [(r.action, r.topics) for r in await h.ledger()][ledger:]
        assert steps == [
            ("unsubscribed", ["gammelt-tema"]),
            ("preferences_changed", ["helsenyheter"]),
        ]
        await catalogue_now(h.runtime, tmp_path / "back.toml", BOTH_LIVE)
        assert await h.open_topics(ADDRESS) == {"helsenyheter"}


def _ticked(page: str) -> list[str]:
    """Return the topics a manage page shows ticked."""
    return re.findall(r'name="topics" value="([^"]+)" checked', page)


def _save(page: str, topics: list[str], frequency: str) -> dict[str, str | list[str]]:
    """Return what a browser posts when the page's form is saved with these choices."""
    return {**hidden_fields(page), "action": "save", "frequency": frequency, "topics": topics}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_page_left_open_in_another_window_does_not_start_again_what_was_ended(
    database_url: str, tmp_path: Path, language: str
) -> None:
    # Both windows showed two alerts and immediate mail. The first ended one and chose weekly;
    # the second, saved later with a topic added, started the ended one again and set immediate
    # back, recording a consent its page never asked for.
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS, related=[RELATED[0]], lang=language)
        manage = await h.link_token(ADDRESS, "manage")
        first = (await h.client.get(f"/manage/{manage}")).text
        second = (await h.client.get(f"/manage/{manage}")).text
        done = await h.client.post(f"/manage/{manage}", data=_save(first, [TOPIC], "weekly"))
        assert done.status_code == 303
        ledger = len(await h.ledger())

        wanted = [TOPIC, RELATED[0], RELATED[1]]
        late = await h.client.post(f"/manage/{manage}", data=_save(second, wanted, "immediate"))

        assert late.status_code == 409, late.text
        assert page_text(language, CHANGED_MEANWHILE) in html.unescape(late.text)
        assert await h.open_topics(ADDRESS) == {TOPIC}
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.frequency == "weekly"
        assert len(await h.ledger()) == ledger
        # Shown again with the other window's change and this one's added topic; saved as shown.
        assert sorted(_ticked(late.text)) == sorted([TOPIC, RELATED[1]])
        assert 'value="weekly" checked' in late.text
        again = _save(late.text, _ticked(late.text), "weekly")
        assert (await h.client.post(f"/manage/{manage}", data=again)).status_code == 303
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[1]}
        # The same form pressed twice (a double click) is no change made elsewhere.
        assert (await h.client.post(f"/manage/{manage}", data=again)).status_code == 303
        steps = [(r.action, r.topics, r.frequency) for r in await h.ledger()][ledger:]
        assert steps == [("preferences_changed", sorted([TOPIC, RELATED[1]]), "weekly")]


async def test_a_page_left_open_in_another_window_ends_only_what_was_unticked_on_it(
    database_url: str, tmp_path: Path
) -> None:
    # The first window started a topic; the second, which showed it unticked, was saved with
    # another one unticked: that one is a withdrawal and ends, the new one must not end unseen.
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS, related=[RELATED[0]])
        manage = await h.link_token(ADDRESS, "manage")
        first = (await h.client.get(f"/manage/{manage}")).text
        second = (await h.client.get(f"/manage/{manage}")).text
        wanted = [TOPIC, RELATED[0], RELATED[1]]
        done = await h.client.post(f"/manage/{manage}", data=_save(first, wanted, "immediate"))
        assert done.status_code == 303
        ledger = len(await h.ledger())

        late = await h.client.post(f"/manage/{manage}", data=_save(second, [TOPIC], "immediate"))

        assert late.status_code == 409, late.text
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[1]}
        steps = [(r.action, r.topics) for r in await h.ledger()][ledger:]
        assert steps == [("unsubscribed", [RELATED[0]])]
        assert sorted(_ticked(late.text)) == sorted([TOPIC, RELATED[1]])
