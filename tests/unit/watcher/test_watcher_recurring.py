"""A feed item with the text of one told: published again, or re-issued (recurring.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.watcher.domain.model import FeedEntry
from services.watcher.domain.recurring import (
    REPEAT_AFTER,
    dated_marks,
    published_again,
    replaces_in_place,
)

TODAY = date(2026, 3, 16)
LAST_WEEK = TODAY - timedelta(days=7)


def _entry(key: str, link: str, published: date | None) -> FeedEntry:
    return FeedEntry(key, "Ukens smittetall", f"https://www.fhi.no/{link}", "Tallene.", published)


WEEK_1 = _entry("uke-1", "uke-1", LAST_WEEK)
DATED = dated_marks(None, [("m", WEEK_1)], TODAY)


@pytest.mark.parametrize(
    ("entry", "again"),
    [
        (_entry("uke-2", "uke-2", TODAY), True),  # a week later, a link of its own
        (_entry("uke-2", "uke-2", LAST_WEEK + REPEAT_AFTER), True),
        (_entry("uke-2", "uke-2", TODAY + timedelta(days=1)), True),  # a day ahead, east of here
        (_entry("kopi", "uke-2", LAST_WEEK + timedelta(days=1)), False),  # re-sent next day
        (_entry("kopi", "uke-1", TODAY), False),  # dated afresh, under the same link
        (_entry("kopi", "uke-2", LAST_WEEK), False),  # the same date
        (_entry("kopi", "uke-2", None), False),  # no date of its own: cannot tell
    ],
)
def test_a_text_told_before_is_news_again_only_dated_anew_under_a_link_of_its_own(
    entry: FeedEntry, again: bool
) -> None:
    assert published_again(entry, "m", DATED, TODAY) is again
    # The same rule for an item in the place of one with its text (summary.compare).
    assert replaces_in_place(entry, [WEEK_1]) is not again


def test_an_item_dated_in_year_9999_is_never_a_text_published_again() -> None:
    mistaken = _entry("kopi", "uke-2", date(9999, 12, 31))
    assert not published_again(mistaken, "m", DATED, TODAY)


def test_a_text_never_dated_or_a_meta_no_release_wrote_is_a_reissue() -> None:
    week_2 = _entry("uke-2", "uke-2", TODAY)
    assert not published_again(week_2, "m", {}, TODAY)
    assert not published_again(week_2, "m", {"m": "i går lenke"}, TODAY)
    assert replaces_in_place(week_2, [_entry("uke-1", "uke-1", None)])
    assert not replaces_in_place(week_2, [])


def test_the_latest_dated_appearance_is_kept_and_an_older_one_does_not_move_it_back() -> None:
    reissued = _entry("kopi", "kopi", LAST_WEEK - timedelta(days=30))
    undated = _entry("udatert", "udatert", None)

    kept = dated_marks({"dated": DATED}, [("m", reissued), ("m", undated)], TODAY)

    assert kept == DATED
    week_2 = _entry("uke-2", "uke-2", TODAY)
    assert dated_marks({"dated": DATED}, [("m", week_2)], TODAY)["m"].startswith(TODAY.isoformat())
    assert dated_marks({"dated": "not a map"}, [("m", undated)], TODAY) == {}


def test_a_date_later_than_tomorrow_is_never_a_texts_latest_appearance() -> None:
    typo = _entry("uke-2", "uke-2", date(2062, 3, 16))
    tomorrow = _entry("uke-2", "uke-2", TODAY + timedelta(days=1))

    assert dated_marks({"dated": DATED}, [("m", typo)], TODAY) == DATED
    assert dated_marks({"dated": DATED}, [("m", tomorrow)], TODAY)["m"].startswith("2026-03-17")
    # One stored so before is read as long past: the next week under its own link is told.
    stored = dated_marks({"dated": {"m": "2062-03-16 0badc0de"}}, [], TODAY)
    assert published_again(_entry("uke-3", "uke-3", TODAY), "m", stored, TODAY)
    # and the entries still in the feed give the text its real latest date again.
    assert dated_marks({"dated": {"m": "2062-03-16 0badc0de"}}, [("m", WEEK_1)], TODAY) == DATED
    assert dated_marks({"dated": {"m": "i går lenke"}}, [], TODAY) == {"m": "i går lenke"}


def test_an_item_in_the_place_of_one_dated_decades_ahead_re_issues_nothing_of_it() -> None:
    typo = _entry("uke-2", "uke-2", date(2062, 3, 16))
    assert not replaces_in_place(_entry("uke-3", "uke-3", TODAY), [typo])
    assert replaces_in_place(_entry("kopi", "kopi", TODAY), [_entry("u", "u", TODAY)])


def _session(key: str, link: str, published: date, session: str) -> FeedEntry:
    return _entry(key, f"{link}{session}", published)


@pytest.mark.parametrize(
    ("before", "now"),
    [
        (";jsessionid=0A1B2C3D4E5F6A7B", ";jsessionid=9F8E7D6C5B4A3F2E"),
        ("?PHPSESSID=k9v2l1q8e0", "?PHPSESSID=x7w6v5u4t3"),
        ("?sid=f3ad39b4", "?sid=1407b581"),
        ("?sessionid=a1b2c3", "?sessionid=d4e5f6"),
    ],
)
def test_a_link_that_differs_only_by_a_session_id_is_no_link_of_its_own(
    before: str, now: str
) -> None:
    # A feed whose server writes a new session id into every link, and dates every item at
    # the moment it is read: three days later each item is the one told, not published again.
    told = _session("uke-1", "uke-1", LAST_WEEK + timedelta(days=4), before)
    dated = dated_marks(None, [("m", told)], TODAY)
    again = _session("kopi", "uke-1", TODAY, now)

    assert not published_again(again, "m", dated, TODAY)
    assert replaces_in_place(again, [told])
    # A link of its own is still one, whatever session id it carries.
    week_2 = _session("uke-2", "uke-2", TODAY, now)
    assert published_again(week_2, "m", dated, TODAY)
    assert not replaces_in_place(week_2, [told])


def test_an_asp_net_session_segment_is_no_link_of_its_own() -> None:
    told = _entry("uke-1", "(S(lit3py55t21z5v55vlm25s55))/uke-1", LAST_WEEK)
    again = _entry("kopi", "(S(qq0aa1bb2cc3dd4ee5ff6gg7))/uke-1", TODAY)

    assert not published_again(again, "m", dated_marks(None, [("m", told)], TODAY), TODAY)
    assert replaces_in_place(again, [told])
