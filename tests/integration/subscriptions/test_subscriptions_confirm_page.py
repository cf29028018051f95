"""The confirm page: what its button confirms, a notice changed since it was shown, a sign-up
whose every topic has ended since its mail was sent, and topics ended or brought back between
the page being shown and its button being pressed."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.catalogues import catalogue_now
from tests.support.journey import hidden_fields
from tests.support.notices import NOTICES
from tests.support.words import page_text

from .harness import ENDED_CATALOGUE, Harness, csrf, running, sign_up

ADDRESS = "kari.nordmann@example.no"


async def test_the_confirm_page_lists_what_the_button_confirms(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await sign_up(h.client, ADDRESS, frequency="daily", related=["pa-tvers-av-sektorer"])
        first = await h.confirm_token(ADDRESS)
        h.clock.advance(timedelta(minutes=3))
        # Someone signs the same address up again before the first mail is followed.
        await sign_up(h.client, ADDRESS, slug="helsenyheter", frequency="weekly", lang="en")
        second = await h.confirm_token(ADDRESS)
        assert second != first
        page = await h.client.get(f"/confirm/{first}")
        shown = re.findall(r"<li>([^<]+)</li>", page.text)
        assert shown == ["Norge i verden", "På tvers av sektorer"]
        assert "Daglig" in page.text and "Ukentlig" not in page.text
        assert 'lang="nb">Norsk bokmål<' in page.text
        version = NOTICES.current("nb").version
        assert f"Versjon {version}" in page.text
        assert hidden_fields(page.text)["privacy_version"] == version

        # A page that showed another notice confirms nothing.
        before = await h.state()
        stale = await h.client.post(
            f"/confirm/{first}", data={**hidden_fields(page.text), "privacy_version": "1999-01-01"}
        )
        assert stale.status_code == 409
        assert "Personvernerklæringen ble endret" in stale.text
        assert await h.state() == before

        done = await h.client.post(f"/confirm/{first}", data=hidden_fields(page.text))
        assert done.status_code == 200
        assert await h.open_topics(ADDRESS) == {"norge-i-verden", "pa-tvers-av-sektorer"}
        person = await h.subscriber(ADDRESS)
        assert person is not None and (person.frequency, person.language) == ("daily", "nb")
        confirmed = (await h.ledger())[-1]
        assert (confirmed.action, confirmed.topics, confirmed.frequency, confirmed.language) == (
            "confirmed",
            ["norge-i-verden", "pa-tvers-av-sektorer"],
            "daily",
            "nb",
        )
        assert confirmed.privacy_version == version

        # The second mail's link confirms its own request, as its page lists it.
        page = await h.client.get(f"/confirm/{second}")
        assert re.findall(r"<li>([^<]+)</li>", page.text) == [
            "News from the Ministry of Health and Care Services"
        ]
        done = await h.client.post(f"/confirm/{second}", data=hidden_fields(page.text))
        assert done.status_code == 200
        person = await h.subscriber(ADDRESS)
        assert person is not None and (person.frequency, person.language) == ("weekly", "en")
        assert (await h.ledger())[-1].topics == ["helsenyheter"]


# The catalogue before the topic ended: the same file without its end.
ENDED_TOPIC = ENDED_CATALOGUE.replace('retired = true\nsuccessor = "helsenyheter"\n', "")


async def test_a_confirm_link_whose_every_topic_has_ended_says_so_and_confirms_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Not a button above an empty list that confirms a consent to nothing and says «Du har
    # meldt deg på» nothing: the ended topic's own page, with what to follow instead.
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED_TOPIC, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        await sign_up(h.client, ADDRESS, slug="gammelt-tema")
        token = await h.confirm_token(ADDRESS)
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        before = await h.state()
        page = await h.client.get(f"/confirm/{token}")
        assert page.status_code == 410
        assert "Gammelt tema" in page.text
        assert '<a href="/subscribe/helsenyheter">' in page.text
        assert 'name="privacy_version"' not in page.text
        pressed = await h.client.post(
            f"/confirm/{token}?lang=nb",
            data={
                "csrf_token": csrf((await h.client.get("/subscribe/helsenyheter")).text),
                "privacy_version": NOTICES.current("nb").version,
            },
        )
        assert pressed.status_code == 410
        assert "Gammelt tema" in pressed.text
        # The JSON API says the same, not that the link is invalid.
        api = await h.client.post(f"/api/v1/confirmations/{token}")
        assert api.status_code == 410
        assert "gammelt-tema" in api.json()["detail"]
        assert await h.state() == before


# A topic with a related one, and the same catalogue once the related topic has ended.
RELATED_LIVE = ENDED_TOPIC.replace(
    'slug = "helsenyheter"\n', 'slug = "helsenyheter"\nrelated = ["gammelt-tema"]\n'
)


async def test_a_topic_ended_since_the_sign_up_is_neither_shown_nor_recorded_as_confirmed(
    database_url: str, tmp_path: Path
) -> None:
    # The confirmation records the consent the page asked for, no more: the ended topic's
    # alert is not started, and the ledger must not say the person confirmed it.
    config = tmp_path / "catalogue.toml"
    config.write_text(RELATED_LIVE, encoding="utf-8")
    async with running(database_url, tmp_path, config=config) as h:
        await sign_up(h.client, ADDRESS, slug="helsenyheter", related=["gammelt-tema"])
        assert (await h.ledger())[-1].topics == ["gammelt-tema", "helsenyheter"]
        token = await h.confirm_token(ADDRESS)
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(database_url, tmp_path, config=config) as h:
        page = await h.client.get(f"/confirm/{token}")
        assert page.status_code == 200, page.text
        assert re.findall(r"<li>([^<]+)</li>", page.text) == ["Helsenyheter"]

        done = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))

        assert done.status_code == 200, done.text
        assert re.findall(r"<li>([^<]+)</li>", done.text) == ["Helsenyheter"]
        assert await h.open_topics(ADDRESS) == {"helsenyheter"}
        confirmed = (await h.ledger())[-1]
        assert (confirmed.action, confirmed.topics) == ("confirmed", ["helsenyheter"])


@asynccontextmanager
async def _signed_up_to_both(
    url: str, tmp_path: Path, language: str = "nb"
) -> AsyncIterator[tuple[Harness, str]]:
    """Run the app on RELATED_LIVE with a sign-up to both its topics; yield it and the token
    of the sign-up's confirmation mail."""
    config = tmp_path / "catalogue.toml"
    config.write_text(RELATED_LIVE, encoding="utf-8")
    async with running(url, tmp_path, config=config) as h:
        await sign_up(
            h.client, ADDRESS, slug="helsenyheter", related=["gammelt-tema"], lang=language
        )
        yield h, await h.confirm_token(ADDRESS)


async def _started_only_the_topic_still_shown(h: Harness, done: httpx.Response) -> None:
    assert done.status_code == 200, done.text
    assert await h.open_topics(ADDRESS) == {"helsenyheter"}
    confirmed = (await h.ledger())[-1]
    assert (confirmed.action, confirmed.topics) == ("confirmed", ["helsenyheter"])


async def test_a_topic_brought_back_after_the_page_was_shown_is_not_started(
    database_url: str, tmp_path: Path
) -> None:
    # The page listed one topic, as the other had ended since the sign-up. Brought back before
    # the button was pressed, that one was started and recorded as consented to, never shown.
    async with _signed_up_to_both(database_url, tmp_path) as (h, token):
        await catalogue_now(h.runtime, tmp_path / "ended.toml", ENDED_CATALOGUE)
        page = await h.client.get(f"/confirm/{token}")
        assert re.findall(r"<li>([^<]+)</li>", page.text) == ["Helsenyheter"]
        assert hidden_fields(page.text)["topics"] == "helsenyheter"
        await catalogue_now(h.runtime, tmp_path / "back.toml", RELATED_LIVE)

        done = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))

        await _started_only_the_topic_still_shown(h, done)
        assert re.findall(r"<li>([^<]+)</li>", done.text) == ["Helsenyheter"]


# What the page after says of a listed topic that ended before the press, and its title.
ENDED_SINCE_SHOWN = (
    "These topics have ended since the page was opened, so you are not signed up for them:"
)
OLD_TOPIC = {"nb": "Gammelt tema", "nn": "Gamalt tema", "en": "Old topic"}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_topic_the_page_showed_that_ended_before_the_press_is_not_started_and_said(
    database_url: str, tmp_path: Path, language: str
) -> None:
    async with _signed_up_to_both(database_url, tmp_path, language) as (h, token):
        page = await h.client.get(f"/confirm/{token}")
        assert OLD_TOPIC[language] in re.findall(r"<li>([^<]+)</li>", page.text)
        assert hidden_fields(page.text)["topics"] == ["gammelt-tema", "helsenyheter"]
        await catalogue_now(h.runtime, tmp_path / "ended.toml", ENDED_CATALOGUE)

        done = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))

        await _started_only_the_topic_still_shown(h, done)
        assert f'lang="{language}"' in done.text
        assert page_text(language, ENDED_SINCE_SHOWN) in html.unescape(done.text)
        ended = done.text.split('<ul class="topics ended">', 1)[1].split("</ul>", 1)[0]
        assert re.findall(r"<li>([^<]+)</li>", ended) == [OLD_TOPIC[language]]


async def test_a_form_that_names_no_topic_it_showed_is_shown_again_and_confirms_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A page from before the form named its topics (a tab left open over an upgrade), or a
    # forged post: what it showed cannot be told, so nothing starts until the page is pressed
    # as it is now.
    async with running(sqlite_url, tmp_path) as h:
        await sign_up(h.client, ADDRESS, related=["pa-tvers-av-sektorer"])
        token = await h.confirm_token(ADDRESS)
        page = await h.client.get(f"/confirm/{token}")
        before = await h.state()
        for topics in ([], ["helsenyheter"]):  # none, or one the sign-up did not ask for
            fields = {**hidden_fields(page.text), "topics": topics}
            old = await h.client.post(f"/confirm/{token}", data=fields)
            assert old.status_code == 400, old.text
            assert "Skjemaet var for gammelt." in old.text
            assert await h.state() == before

        done = await h.client.post(f"/confirm/{token}", data=hidden_fields(old.text))

        assert done.status_code == 200, done.text
        assert await h.open_topics(ADDRESS) == {"norge-i-verden", "pa-tvers-av-sektorer"}
