"""A new consent on the manage page is recorded under the privacy notice the page showed.

The manage form carries the notice's version and the page's language, as the confirm form
does; a notice changed between showing the page and pressing Save starts nothing and shows the
page again with the notice in force. Alerts the person unticked end at that first press all the
same: a withdrawal is never refused (GDPR art. 7(3)). Real SQLite; the app over ASGI, restarted
with a new text.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscriptions.adapters.tables import PrivacyNotice
from services.subscriptions.entrypoints.wording import FORM_TOO_OLD, NOTICE_CHANGED
from tests.support.journey import hidden_fields
from tests.support.words import page_text

from .harness import RELATED, TOPIC, Harness, running, subscribed
from .test_subscriptions_privacy_notice import _write

ADDRESS = "kari.nordmann@example.no"


async def _changed_notice(
    sqlite_url: str, tmp_path: Path, *, related: tuple[str, ...] = ()
) -> tuple[str, dict[str, str], str]:
    """Sign a person up, open their manage page in English, change the notice's text; return
    the manage token, the fields the page's save form carries and the version it named."""
    folder = _write(tmp_path / "notice")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        await subscribed(h, ADDRESS, related=related)
        manage = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{manage}?lang=en")
        shown = hidden_fields(page.text)
        en_v1 = await _version(h, "en")
    _write(folder, extra="\nVi har fått nytt personvernombud.\n")
    return manage, shown, en_v1


async def _version(h: Harness, language: str, not_in: tuple[str, ...] = ()) -> str:
    rows = await h.all(select(PrivacyNotice.version).where(PrivacyNotice.language == language))
    (version,) = set(rows) - set(not_in)
    return str(version)


async def test_topics_added_on_a_page_that_showed_an_older_notice_are_not_saved(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "notice")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        await subscribed(h, ADDRESS, frequency="weekly")  # in bokmål
        manage = await h.link_token(ADDRESS, "manage")
        # The person reads the page in English: the notice it names is the English one.
        page = await h.client.get(f"/manage/{manage}?lang=en")
        en_v1 = await _version(h, "en")
        assert f"Version {en_v1}" in page.text
        shown = hidden_fields(page.text)
        assert (shown["privacy_version"], shown["privacy_language"]) == (en_v1, "en")
    # The operator changes the text and restarts while the page is open.
    _write(folder, extra="\nVi har fått nytt personvernombud.\n")
    async with running(sqlite_url, tmp_path, privacy_notice_dir=folder) as h:
        en_v2 = await _version(h, "en", not_in=(en_v1,))
        ledger = [(r.action, r.topics) for r in await h.ledger()]
        wanted = {**shown, "action": "save", "frequency": "daily", "topics": [TOPIC, RELATED[0]]}
        stale = await h.client.post(f"/manage/{manage}?lang=en", data=wanted)

        assert stale.status_code == 409, stale.text
        text = html.unescape(stale.text)
        assert page_text("en", NOTICE_CHANGED) in text
        assert f"Version {en_v2}" in text, "the page now names the notice in force"
        assert f'id="topic-{RELATED[0]}" name="topics" value="{RELATED[0]}" checked' in text
        assert 'value="daily" checked' in text, "what the person chose, to press again"
        assert [(r.action, r.topics) for r in await h.ledger()] == ledger
        assert await h.open_topics(ADDRESS) == {TOPIC}
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.frequency == "weekly"

        # Pressed again on the page that names the new text: saved under it, in English.
        choices = {k: v for k, v in wanted.items() if not k.startswith("privacy_")}
        pressed = {**hidden_fields(stale.text), **choices}
        again = await h.client.post(f"/manage/{manage}?lang=en", data=pressed)
        assert again.status_code == 303, again.text
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[0]}
        changed = (await h.ledger())[-1]
        assert (changed.action, changed.topics, changed.frequency) == (
            "preferences_changed",
            [TOPIC, RELATED[0]],
            "daily",
        )
        assert (changed.privacy_version, changed.language) == (en_v2, "en")
        en_hash = await h.scalar(select(PrivacyNotice.sha256).where(PrivacyNotice.version == en_v2))
        assert changed.privacy_hash == en_hash
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.language == "nb", "the alerts' language stays"


async def test_a_manage_form_that_names_no_notice_saves_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A page from before the form carried its notice, or a forged post.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        manage = await h.link_token(ADDRESS, "manage")
        before = await h.state()
        data = {"action": "save", "frequency": "daily", "topics": [TOPIC, RELATED[0]]}
        for missing in ({}, {"privacy_language": "en"}, {"privacy_version": "x"}):
            answer = await h.client.post(f"/manage/{manage}", data={**data, **missing})
            assert answer.status_code == 400, answer.text
            assert page_text("nb", FORM_TOO_OLD) in html.unescape(answer.text)
            assert await h.state() == before


@pytest.mark.parametrize(
    ("topics", "status", "written"),
    [
        # Only ends a topic: the withdrawal alone is recorded, no consent to what is kept under
        # a notice no longer in force.
        ([TOPIC], 303, [("unsubscribed", [RELATED[0]])]),
        # Also starts a topic: the withdrawal is done at once, the new topic waits for a press
        # under the notice in force.
        ([TOPIC, RELATED[1]], 409, [("unsubscribed", [RELATED[0]])]),
    ],
)
async def test_alerts_unticked_on_a_page_that_showed_an_older_notice_end_at_once(
    sqlite_url: str,
    tmp_path: Path,
    topics: list[str],
    status: int,
    written: list[tuple[str, list[str]]],
) -> None:
    manage, shown, en_v1 = await _changed_notice(sqlite_url, tmp_path, related=RELATED[:1])
    async with running(sqlite_url, tmp_path, privacy_notice_dir=tmp_path / "notice") as h:
        before = len(await h.ledger())
        posted = {**shown, "action": "save", "frequency": "immediate", "topics": topics}

        answer = await h.client.post(f"/manage/{manage}?lang=en", data=posted)

        assert answer.status_code == status, answer.text
        if status == 409:
            assert page_text("en", NOTICE_CHANGED) in html.unescape(answer.text)
        assert await h.open_topics(ADDRESS) == {TOPIC}
        rows = (await h.ledger())[before:]
        assert [(r.action, r.topics) for r in rows] == written
        for row in rows:  # under the text the page showed, which the service keeps
            assert (row.privacy_version, row.language, row.details) == (en_v1, "en", None)


async def test_alerts_unticked_on_a_page_from_before_forms_named_a_notice_end_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS, related=RELATED[:1])  # in bokmål
        manage = await h.link_token(ADDRESS, "manage")
        before = len(await h.ledger())
        # The save form of an old page, kept in a tab: no notice's fields.
        old_page = {"action": "save", "frequency": "immediate", "topics": [TOPIC]}

        saved = await h.client.post(f"/manage/{manage}?lang=en", data=old_page)

        assert saved.status_code == 303, saved.text
        assert await h.open_topics(ADDRESS) == {TOPIC}
        nb_version = await _version(h, "nb")
        rows = (await h.ledger())[before:]
        assert [(r.action, r.topics) for r in rows] == [("unsubscribed", [RELATED[0]])]
        for row in rows:
            assert (row.privacy_version, row.language) == (nb_version, "nb"), row.action
            assert row.details == {"notice_shown": False}, row.action
