"""Ending alerts or erasing from a mail's link is recorded under the page the person read.

The unsubscribe page and the manage page's «End alerts» name the privacy notice in the language
they are read in (``?lang=`` or the language switch), and their form carries that notice's
version and language. Withdrawing is never refused for the notice a page showed (GDPR art.
7(3)): a text changed since the page was opened, or a page from before forms named a notice,
ends the alerts at the first press all the same. Each test does what a browser does: it opens
the page, follows the language switch, and posts the form the page rendered (an old page's form
without the notice's fields) to the address the form names. Real SQLite; the app over ASGI,
restarted with a new text where the notice changes.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscriptions.adapters.tables import ConsentRecord, PrivacyNotice
from tests.support.journey import form_with, language_switch
from tests.support.words import page_text

from .harness import Harness, running, subscribed
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
            assert row.details is None, "shown on the page, so nothing more to say"
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


# What each button's answer says, and the ledger steps it writes.
DONE = {
    "unsubscribe_all": ("Your alerts have ended", ["unsubscribed"]),
    "erase": ("Your email address is deleted", ["unsubscribed", "erased"]),
}


async def _pressed(h: Harness, address: str, answer: str, button: str, language: str) -> None:
    """Assert that the button did its work at once, and the page said so."""
    heading, _ = DONE[button]
    assert page_text(language, heading) in html.unescape(answer)
    if button == "erase":
        assert await h.subscriber(address) is None
    else:
        assert await h.open_topics(address) == set()
        assert await h.subscriber(address) is not None


async def _written(h: Harness, before: int, button: str) -> list[ConsentRecord]:
    written = (await h.ledger())[before:]
    assert [r.action for r in written] == DONE[button][1]
    return written


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
@pytest.mark.parametrize("button", ["unsubscribe_all", "erase"])
async def test_a_notice_changed_after_the_page_was_opened_still_ends_at_the_first_press(
    sqlite_url: str, tmp_path: Path, page: str, button: str
) -> None:
    folder = _write(tmp_path / "notice")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        await subscribed(h, ADDRESS)
        link = await _link(h, page)
        opened = await h.client.get(f"{link}?lang=en")
        en_v1, en_v1_hash = await _notice(h, "en")
        assert f"Version {en_v1}" in opened.text
        action, data = form_with(opened.text, button)
        assert data["privacy_version"] == en_v1
    # The operator changes the text and restarts while the page is open.
    _write(folder, extra="\nVi har fått nytt personvernombud.\n")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        en_v2, _ = await _notice(h, "en", not_in=(en_v1,))
        before = len(await h.ledger())

        done = await h.client.post(action, data=data)

        assert done.status_code == 200, done.text
        assert 'lang="en"' in done.text
        await _pressed(h, ADDRESS, done.text, button, "en")
        # Recorded under the text the page showed, which the service still keeps, not v2.
        for row in await _written(h, before, button):
            assert (row.language, row.privacy_version) == ("en", en_v1), row.action
            assert row.privacy_hash == en_v1_hash, row.action
            assert row.details is None, row.action
        assert en_v2 != en_v1


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
@pytest.mark.parametrize("button", ["unsubscribe_all", "erase"])
async def test_a_page_from_before_forms_named_a_notice_still_ends_at_the_first_press(
    sqlite_url: str, tmp_path: Path, page: str, button: str
) -> None:
    # A tab left open, or a cached copy, of the page as it was before its form named a notice.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)  # in bokmål
        opened = await h.client.get(f"{await _link(h, page)}?lang=en")
        action, data = form_with(opened.text, button)
        old_page = {k: v for k, v in data.items() if not k.startswith("privacy_")}
        before = len(await h.ledger())

        done = await h.client.post(action, data=old_page)

        assert done.status_code == 200, done.text
        await _pressed(h, ADDRESS, done.text, button, "en")
        # The page named no notice: the one in force in the person's language, said as unseen.
        nb_version, nb_hash = await _notice(h, "nb")
        for row in await _written(h, before, button):
            assert (row.language, row.privacy_version, row.privacy_hash) == (
                "nb",
                nb_version,
                nb_hash,
            ), row.action
            assert row.details == {"notice_shown": False}, row.action


@pytest.mark.parametrize(
    "named",
    [
        {"privacy_version": "1999-01-01.000000000000"},  # never published
        {"privacy_version": "x" * 500},  # longer than any version
        {"privacy_language": "xx"},  # no language of ours
        {"privacy_version": ""},
    ],
)
async def test_an_end_form_naming_a_notice_never_published_still_ends(
    sqlite_url: str, tmp_path: Path, named: dict[str, str]
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        opened = await h.client.get(f"{await _link(h, 'unsubscribe')}?lang=nn")
        action, data = form_with(opened.text, "erase")
        before = len(await h.ledger())

        done = await h.client.post(action, data={**data, **named})

        assert done.status_code == 200, done.text
        await _pressed(h, ADDRESS, done.text, "erase", "nn")
        nb_version, _ = await _notice(h, "nb")
        for row in await _written(h, before, "erase"):
            assert (row.language, row.privacy_version) == ("nb", nb_version), row.action
            assert row.details == {"notice_shown": False}, row.action


@pytest.mark.parametrize("page", ["unsubscribe", "manage"])
@pytest.mark.parametrize("version", ["\x00", "2026-01-01.\x00", "2026-01-01.åäö"])
async def test_an_end_form_naming_a_version_no_database_holds_still_ends(
    database_url: str, tmp_path: Path, page: str, version: str
) -> None:
    # A forged form: PostgreSQL refuses a NUL in any text it is asked, so looking the version
    # up failed the press (500) and ended nothing. No version varsel writes holds such a thing.
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        opened = await h.client.get(await _link(h, page))
        action, data = form_with(opened.text, "unsubscribe_all")
        before = len(await h.ledger())

        done = await h.client.post(action, data={**data, "privacy_version": version})

        assert done.status_code == 200, done.text
        await _pressed(h, ADDRESS, done.text, "unsubscribe_all", "nb")
        nb_version, _ = await _notice(h, "nb")
        (row,) = await _written(h, before, "unsubscribe_all")
        assert (row.language, row.privacy_version) == ("nb", nb_version)
        assert row.details == {"notice_shown": False}
