"""A WebSub push older than what is stored: taken, it would move a feed back (decide)."""

from __future__ import annotations

from datetime import date

from services.watcher.domain.model import Content
from services.watcher.domain.outcome import History


def older_than_stored(content: Content, history: History) -> tuple[date, date] | None:
    """Return the dates of pushed content and of the content stored, if the push is older.

    A WebSub push is signed for as long as its secret lasts: one sent again after the
    callback has forgotten it (websub.PUSH_MEMORY) would move the feed back, and tell
    again, in its old words, an entry corrected since. A feed's own date (its updated or
    published) is compared where both have one, else their newest entries'. Whole days: the
    callback's memory covers a day many times over. A push refused for a date the publisher
    moved back is read by the next poll, which is never judged by date.
    """
    previous = history.previous
    if previous is None:
        return None
    pushed, stored = _own_date(content), _own_date(previous.content)
    if pushed is None or stored is None:
        pushed, stored = _newest_entry(content), _newest_entry(previous.content)
    if pushed is None or stored is None or pushed >= stored:
        return None
    return pushed, stored


def _own_date(content: Content) -> date | None:
    return content.updated or content.published


def _newest_entry(content: Content) -> date | None:
    return max((e.published for e in content.entries if e.published is not None), default=None)
