"""The buttons that end alerts, on the manage and unsubscribe pages: only the one pressed is
taken, nothing is deleted on a post that names none or two, and the answer speaks the language
the page was read in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.subscriptions.entrypoints.wording import FORM_NOT_VALID
from tests.support.journey import form_with
from tests.support.words import page_text

from .harness import running, subscribed

ADDRESS = "kari.nordmann@example.no"


async def test_an_unsubscribe_form_without_a_chosen_button_deletes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    # The page has two buttons, the milder first; a post that names neither (a scanner that
    # submits forms, a script's form.submit()) must not take the one that cannot be undone.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        for action in (None, "", "delete-everything"):
            data = {}
            if action is not None:
                data["action"] = action
            answer = await h.client.post(f"/unsubscribe/{unsubscribe}", data=data)
            assert answer.status_code == 400, action
            assert await h.subscriber(ADDRESS) is not None, action
            assert await h.open_topics(ADDRESS) == {"norge-i-verden"}, action


@pytest.mark.parametrize(
    ("path", "purpose", "buttons"),
    [
        ("manage", "manage", ["save", "erase"]),
        ("manage", "manage", ["erase", "unsubscribe_all"]),
        ("unsubscribe", "unsubscribe", ["unsubscribe_all", "erase"]),
    ],
)
async def test_a_form_that_presses_two_buttons_at_once_changes_nothing(
    sqlite_url: str, tmp_path: Path, path: str, purpose: str, buttons: list[str]
) -> None:
    # A browser sends the one button pressed; a post naming two cannot say which was meant,
    # and the last one (which may delete the person) is not taken for it.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        before = await h.subscriber(ADDRESS)
        assert before is not None and before.frequency != "daily"
        token = await h.link_token(ADDRESS, purpose)
        data = [
            ("topics", "norge-i-verden"),
            ("frequency", "daily"),
            *(("action", button) for button in buttons),
        ]

        answer = await h.client.post(
            f"/{path}/{token}",
            content="&".join(f"{k}={v}" for k, v in data),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

        assert answer.status_code == 400
        after = await h.subscriber(ADDRESS)
        assert after is not None and after.frequency == before.frequency
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}


async def test_a_manage_post_naming_a_button_the_page_has_not_changes_nothing_and_says_so(
    database_url: str, tmp_path: Path
) -> None:
    # Not taken for «Save changes»: that would end every alert the post leaves out.
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        ledger = len(await h.ledger())
        token = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{token}")
        action, shown = form_with(page.text, "save")
        posted = {**shown, "action": "frobnicate", "topics": [], "frequency": "daily"}

        answer = await h.client.post(action, data=posted)

        assert answer.status_code == 400
        assert page_text("nb", FORM_NOT_VALID) in answer.text
        after = await h.subscriber(ADDRESS)
        assert after is not None and after.frequency == "immediate"
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
        assert len(await h.ledger()) == ledger


@pytest.mark.parametrize(
    ("path", "purpose"), [("manage", "manage"), ("unsubscribe", "unsubscribe")]
)
async def test_the_end_of_alerts_is_told_in_the_language_the_page_was_read_in(
    sqlite_url: str, tmp_path: Path, path: str, purpose: str
) -> None:
    # Signed up in bokmål, reading the page in English: the answer to its buttons is English.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, purpose)
        page = await h.client.get(f"/{path}/{token}?lang=en")
        assert '<html lang="en"' in page.text
        action, data = form_with(page.text, "unsubscribe_all")
        assert action == f"/{path}/{token}?lang=en"

        answer = await h.client.post(action, data=data)

        assert answer.status_code == 200
        assert '<html lang="en"' in answer.text
        assert await h.open_topics(ADDRESS) == set()


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_person_with_no_alerts_open_is_offered_only_the_erasure(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    # Ending alerts that are all ended already would do nothing; the pages say what the person
    # gets now and offer what is left to do: delete the address.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        manage = await h.link_token(ADDRESS, "manage")
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        has_alerts = page_text(language, "You get alerts about:")
        has_none = page_text(
            language, "You get no alerts now. Tick the topics you want alerts about:"
        )
        page = await h.client.get(f"/manage/{manage}?lang={language}")
        assert f"<legend>{has_alerts}</legend>" in page.text
        assert 'value="unsubscribe_all"' in page.text

        opened = await h.client.get(f"/unsubscribe/{unsubscribe}")
        action, data = form_with(opened.text, "unsubscribe_all")
        ended = await h.client.post(action, data=data)
        assert ended.status_code == 200
        assert await h.open_topics(ADDRESS) == set()

        for path in (f"/unsubscribe/{unsubscribe}", f"/manage/{manage}"):
            page = await h.client.get(f"{path}?lang={language}")
            assert page.status_code == 200, path
            assert 'value="unsubscribe_all"' not in page.text, path
            assert page_text(language, "End all alerts") not in page.text, path
            assert 'value="erase"' in page.text, path
            assert page_text(language, "Delete my email address") in page.text, path
            assert page_text(language, "Delete your email address") in page.text, path
        assert f"<legend>{has_none}</legend>" in page.text
        assert has_alerts not in page.text
        assert "checked" not in re.sub(r'name="frequency"[^>]*', "", page.text)

        action, data = form_with(page.text, "erase")
        erased = await h.client.post(action, data=data)
        assert erased.status_code == 200
        assert await h.subscriber(ADDRESS) is None
