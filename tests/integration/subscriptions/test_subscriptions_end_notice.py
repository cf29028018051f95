"""Ending alerts or erasing from a mail's link is recorded under the page the person read.

The unsubscribe page and the manage page's «End alerts» name the privacy notice in the language
they are read in (``?lang=`` or the language switch), and their form carries that notice's
version and language. Each test does what a browser does: it opens the page, follows the
language switch, and posts the form the page rendered to the address the form names. Real
SQLite; the app over ASGI, restarted with a new text where the notice changes.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscriptions.adapters.tables import PrivacyNotice
from services.subscriptions.entrypoints.wording import FORM_TOO_OLD, NOTICE_CHANGED_ENDING
from tests.support.journey import form_with, language_switch
from tests.support.words import page_text

from .harness import TOPIC, Harness, running, subscribed
from .test_subscriptions_privacy_notice import _write

ADDRESS = "kari.nordmann@example.no"


async def _notice(h: Harness, language: str, not_in: tuple[str, ...] = ()) -> tuple[str, str]:
    """Return the version and hash of the one notice in ``language`` not in ``not_in``."""
    rows = await h.all(select(PrivacyNotice).where(PrivacyNotice.language == language))
    (row,) = [r for r in rows if r.version not in not_in]
    return str(row.version), str(row.sha256)


async def _link(h: Harness, page: str) -> str:
    """Return the address of the unsubscribe link or the manage link of a mail to ADDRESS."""
    purpose = "unsubscribe" if page == "unsubscribe" else "manage"
    return f"/{page}/{await h.link_token(ADDRESS, purpose)}"


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
@pytest.mark.parametrize("button", ["unsubscribe_all", "erase"])
async def test_an_ending_names_the_notice_in_the_language_the_page_was_switched_to(
    sqlite_url: str, tmp_path: Path, page: str, button: str
) -> None:
    folder = _write(tmp_path / "notice")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        await subscribed(h, ADDRESS, frequency="weekly")  # signed up in bokmål
        link = await _link(h, page)
        opened = await h.client.get(link)  # in the person's language, bokmål
        # The person switches the page to nynorsk and presses the button there.
        nynorsk = await h.client.get(language_switch(opened.text, "nn"))
        nn_version, nn_hash = await _notice(h, "nn")
        assert nynorsk.status_code == 200 and f"Versjon {nn_version}" in nynorsk.text
        action, data = form_with(nynorsk.text, button)
        assert (data["privacy_version"], data["privacy_language"]) == (nn_version, "nn")
        before = len(await h.ledger())

        done = await h.client.post(action, data=data)

        assert done.status_code == 200, done.text
        assert 'lang="nn"' in done.text, "the answer is in the language the page was read in"
        written = (await h.ledger())[before:]
        expected = ["unsubscribed", "erased"] if button == "erase" else ["unsubscribed"]
        assert [r.action for r in written] == expected
        for row in written:
            assert (row.language, row.privacy_version, row.privacy_hash) == (
                "nn",
                nn_version,
                nn_hash,
            ), row.action
        nb_version, _ = await _notice(h, "nb")
        assert nb_version != nn_version, "the person's own language would name another text"


async def test_an_ending_from_a_page_read_in_english_by_its_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    # The mail's link opened with ?lang=en (as the English mail's own links are).
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        link = await _link(h, "unsubscribe")
        opened = await h.client.get(f"{link}?lang=en")
        en_version, _ = await _notice(h, "en")
        assert f"Version {en_version}" in opened.text
        action, data = form_with(opened.text, "unsubscribe_all")
        assert (await h.client.post(action, data=data)).status_code == 200
        row = (await h.ledger())[-1]
        assert (row.action, row.language, row.privacy_version) == ("unsubscribed", "en", en_version)
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.language == "nb", "the alerts' language stays"


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
async def test_a_notice_changed_after_the_page_was_opened_ends_nothing_until_pressed_again(
    sqlite_url: str, tmp_path: Path, page: str
) -> None:
    folder = _write(tmp_path / "notice")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        await subscribed(h, ADDRESS)
        link = await _link(h, page)
        opened = await h.client.get(f"{link}?lang=en")
        en_v1, _ = await _notice(h, "en")
        action, data = form_with(opened.text, "erase")
        assert data["privacy_version"] == en_v1
    # The operator changes the text and restarts while the page is open.
    _write(folder, extra="\nVi har fått nytt personvernombud.\n")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        en_v2, en_hash = await _notice(h, "en", not_in=(en_v1,))
        before = await h.state()

        stale = await h.client.post(action, data=data)

        assert stale.status_code == 409, stale.text
        assert page_text("en", NOTICE_CHANGED_ENDING) in html.unescape(stale.text)
        assert f"Version {en_v2}" in stale.text, "the page names the notice in force now"
        assert await h.state() == before, "nothing ended, nothing erased, nothing recorded"
        assert await h.open_topics(ADDRESS) == {TOPIC}

        # Pressed again on the page shown: erased, recorded under the new text, in English.
        again_action, again = form_with(stale.text, "erase")
        assert again["privacy_version"] == en_v2
        erased = await h.client.post(again_action, data=again)
        assert erased.status_code == 200, erased.text
        assert await h.subscriber(ADDRESS) is None
        ended, gone = (await h.ledger())[-2:]
        assert (ended.action, gone.action) == ("unsubscribed", "erased")
        for row in (ended, gone):
            assert (row.language, row.privacy_version, row.privacy_hash) == ("en", en_v2, en_hash)


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
async def test_an_end_form_that_names_no_notice_ends_nothing(
    sqlite_url: str, tmp_path: Path, page: str
) -> None:
    # A page from before the form carried its notice, or a forged post.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        link = await _link(h, page)
        opened = await h.client.get(link)
        action, data = form_with(opened.text, "erase")
        before = await h.state()
        for missing in ("privacy_version", "privacy_language"):
            posted = {k: v for k, v in data.items() if k != missing}
            answer = await h.client.post(action, data=posted)
            assert answer.status_code == 400, answer.text
            assert page_text("nb", FORM_TOO_OLD) in html.unescape(answer.text)
            assert 'value="erase"' in answer.text, "the page is shown again to press"
            assert await h.state() == before
        nonsense = await h.client.post(action, data={**data, "privacy_language": "xx"})
        assert nonsense.status_code == 400, nonsense.text
        assert await h.state() == before
