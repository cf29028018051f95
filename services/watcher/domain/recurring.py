"""A feed item published again on a later date is news, a re-issue of one is not (ADR 0004).

Some notices recur with the same title and text under a new guid and link: a weekly «Ukens
smittetall», a monthly «Møteplan». A CMS also re-sends an item it has already published under
a new guid, minutes or days later, sometimes with a new link; and a site moved to a new CMS
gives every item a new guid and link at once. What tells the first from the others is the
publisher's own date: a recurring notice is dated on the day it is published again, while a
re-issue keeps its date or is dated within a day or so of the one told. A link is the item's
own when it leads elsewhere: one that differs only by the session id its server wrote into it
(a new one at each reading, ``shared.page_urls.without_session``) leads to the same item, or a
feed that dates every item at the moment it is read would tell them all again at each poll
two days apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from services.watcher.domain.model import FeedEntry
from shared.page_urls import without_session

# How much later than the text's last dated appearance a new item must be dated to be news:
# two days, so that a re-issue dated afresh, minutes after the first, is not news when the
# minutes cross midnight (in the publisher's calendar, or Oslo's), while a weekly or even a
# twice-weekly notice is.
REPEAT_AFTER = timedelta(days=2)
# Kept in a feed snapshot's meta beside «seen»: for each text (its mark), the latest date an
# item carrying it was dated and a digest of that item's link, «YYYY-MM-DD digest». A snapshot
# stored before has none; the dates of the entries it holds are read from its content.
DATED = "dated"
_DATED_LIMIT = 1000  # as many as news.SEEN_LIMIT: the texts seen longest ago are forgotten
# What a mark dated later than tomorrow is read as (one stored before such dates were left
# out): its item was mistaken, so the text's last real date is unknown, and no later than
# today. Read as long past, a later item with the text under a link of its own is told.
_LONG_AGO = date.min.isoformat()


def _link(entry: FeedEntry) -> str:
    return hashlib.sha256(without_session(entry.link).encode()).hexdigest()[:8]


def dated_marks(
    meta: dict[str, Any] | None, entries: Iterable[tuple[str, FeedEntry]], today: date
) -> dict[str, str]:
    """Return each text's latest dated appearance, from a snapshot's meta and its (mark,
    entry) pairs, oldest first; a date later than tomorrow (a typo: 2062 for 2026) is no
    text's latest appearance, or a text told next week would wait for that year."""
    latest = (today + timedelta(days=1)).isoformat()
    stored = (meta or {}).get(DATED)
    dated = {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}
    for mark, stored_day in dated.items():
        if stored_day[:10] > latest and _a_day(stored_day[:10]):
            dated[mark] = f"{_LONG_AGO}{stored_day[10:]}"
    for mark, entry in entries:
        if entry.published is None or entry.published.isoformat() > latest:
            continue
        known = dated.get(mark)
        if known is None or known[:10] <= entry.published.isoformat():
            dated.pop(mark, None)
            dated[mark] = f"{entry.published.isoformat()} {_link(entry)}"
    return dict(list(dated.items())[-_DATED_LIMIT:])


def _a_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def published_again(entry: FeedEntry, mark: str, dated: dict[str, str], today: date) -> bool:
    """Tell whether a new item whose text was told before is that text published again: under
    a link of its own, dated at least ``REPEAT_AFTER`` after the text's latest dated
    appearance and no later than tomorrow (an item dated 9999 is mistaken, not recurring)."""
    known = dated.get(mark)
    if entry.published is None or known is None or entry.published > today + timedelta(days=1):
        return False
    day, _, link = known.partition(" ")
    try:
        last = date.fromisoformat(day)
    except ValueError:
        return False  # a meta no release wrote: read as no date known, as before
    return entry.published >= last + REPEAT_AFTER and _link(entry) != link


def replaces_in_place(entry: FeedEntry, gone: Sequence[FeedEntry]) -> bool:
    """Tell whether a new item is a re-issue of ``gone`` ones with its title and text (the
    same item under a new guid, where they were), not that text published again: dated at
    least ``REPEAT_AFTER`` after each of them, under a link of its own. A gone item dated
    more than a day after the new one (7 December 2062 for 2026) was mistaken, or the new one
    corrects it: the new one re-issues nothing of it, and news.change_events judges it by
    the text's latest real date."""
    if entry.published is not None:
        gone = [
            old
            for old in gone
            if old.published is None or old.published <= entry.published + timedelta(days=1)
        ]
    if not gone:
        return False
    if entry.published is None:
        return True
    return not all(
        old.published is not None
        and entry.published >= old.published + REPEAT_AFTER
        and without_session(entry.link) != without_session(old.link)
        for old in gone
    )
