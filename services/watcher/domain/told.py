"""A change its publisher pushed is told once: the poll that next reads new text stores it.

A push (command_api.publish_change) already told everyone of the change, with the editor's
note. The watcher polls the page afterwards as always and would find the same edit and tell it
a second time in its generated summary. So the push marks the source: until ``told_until``, the
first new text a poll reads is stored as the source's baseline and nobody is alerted; a change
after that is told as usual.

The mark lasts a bounded time (WINDOW): a CMS may push before its page is served anew (a cache
in front of it, a publication queue), so the polls in between still show the old text and leave
the mark for the poll that sees the new one. While it waits, the page is asked again soon
(RECHECK) rather than at its interval. A push whose page never shows anything new leaves the
mark to lapse, and the next change after it is told.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# How long a push's change may take to show on the page it names. A CDN's or a CMS's cache
# serves stale pages for minutes, rarely for longer than an hour; a change the page shows
# later than that is told again, as a poll finds it.
WINDOW = timedelta(hours=1)
# How soon a source is asked again while its push's text has not shown yet: a change seen
# within the window is silent, so waiting out a long interval (a day) would lose the window.
RECHECK = timedelta(minutes=2)


def pending(told_until: datetime | None, now: datetime) -> bool:
    """Tell whether the source's next new text was told already by a push."""
    return told_until is not None and now < told_until


def sooner(due: datetime, told_until: datetime | None, now: datetime) -> datetime:
    """Return when to poll next: within RECHECK while a push's text has not shown yet."""
    if not pending(told_until, now):
        return due
    return min(due, now + RECHECK)
