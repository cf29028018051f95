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

A push may also come after its edit was told: a poll read the page first (the CMS's request
was queued or retried), or the CMS sent the same edit again under a new key (saved once more).
Sent at once, it would be a second alert, and its mark would hide the page's next edit. So a
push that comes within WINDOW of the source's last told change is held (``held``) until a poll
reads the page: a page still showing the text told already shows the push's edit was told, and
the push is dropped with its mark; new text is the push's edit, stored untold while the held
push tells it. A page that cannot be read for the whole window after a push came gets that push
sent (``overdue``): a push is never lost because its page was down. Each push waits its own
window, not one renewed by every later push: a CMS that pushes every 50 minutes while its page
is down would otherwise keep the first push waiting for ever. Pushes sent together (by one read,
or their hours out at one failed poll) are one edit to their followers, so they are sent as one
change to all their topics, a minor push beside a real edit apart (joined.one_per_edit), their
notes kept.

A source holds at most HELD_LIMIT pushes (``kept``): a CMS pushing in a loop would otherwise grow
its row without bound. Each held push leads to the same one read of the page, so one more adds
nothing to what varsel learns of the page; but it may ask for more than the ones held (another
topic, a real edit where they were typo fixes, a note of its own), and its publisher was answered
202. So past the limit the latest push is joined with one held (domain/joined.py), never put in
its place, as they would be joined when sent: with the newest held push alike (a real edit with
the newest real edit, whatever its topics; a minor push with the newest minor one of the same
topics), else a minor push with the newest minor one, their topics united, their notes kept.
A join never makes a minor push an alert, nor adds a real edit's alert to topics it did not
name: sent, a minor push beside a real edit is a change of its own (joined.one_per_edit). So a
minor push finding only real edits held is sent at once (``Kept.sent``): a minor change alerts
nobody (the mailer records it), so it needs no read of the page to be sure it is new; and a real
edit finding only minor pushes held has the oldest of them sent at once, to free its place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.watcher.domain.joined import alike, one_change, one_per_edit
from services.watcher.domain.outcome import Notice, SourceState
from shared.events import ContentChanged

# How long a push's change may take to show on the page it names. A CDN's or a CMS's cache
# serves stale pages for minutes, rarely for longer than an hour; a change the page shows
# later than that is told again, as a poll finds it.
WINDOW = timedelta(hours=1)
# How soon a source is asked again while its push's text has not shown yet: a change seen
# within the window is silent, so waiting out a long interval (a day) would lose the window.
RECHECK = timedelta(minutes=2)
# How many pushes one source holds at most. A CMS that saves a post a few times in a minute
# pushes a few; twenty is far past any editor's, and each push's JSON is a few KiB at most
# (its note is clipped at 2,000 characters), so the row stays small whatever a loop sends.
HELD_LIMIT = 20


def pending(told_until: datetime | None, now: datetime) -> bool:
    """Tell whether the source's next new text was told already by a push."""
    return told_until is not None and now < told_until


def sooner(due: datetime, told_until: datetime | None, now: datetime) -> datetime:
    """Return when to poll next: within RECHECK while a push's text has not shown yet."""
    if not pending(told_until, now):
        return due
    return min(due, now + RECHECK)


def holds(last_changed_at: datetime | None, held: bool, now: datetime) -> bool:
    """Tell whether a push waits for the page to be read before it is sent (see above)."""
    return held or (last_changed_at is not None and now - last_changed_at < WINDOW)


@dataclass(frozen=True, slots=True)
class Kept:
    """What taking a push in does to the pushes its source holds."""

    held: tuple[ContentChanged, ...]  # the pushes held once it is taken in
    joined_with: ContentChanged | None = None  # the held push it was joined with
    sent: ContentChanged | None = None  # a minor push sent now, not held: itself or the oldest


def kept(held: tuple[ContentChanged, ...], push: ContentChanged) -> Kept:
    """Return what a source holds once ``push`` is taken in, past HELD_LIMIT too (see above).

    The pushes left held keep their own hour.
    """
    if len(held) < HELD_LIMIT:
        return Kept((*held, push))
    at = max((i for i, one in enumerate(held) if alike(one, push)), default=None)
    if at is None and push.minor:
        # A minor push of other topics: joined, the change is still minor, alerting nobody.
        at = max((i for i, one in enumerate(held) if one.minor), default=None)
    if at is not None:
        return Kept((*held[:at], one_change((held[at], push)), *held[at + 1 :]), held[at])
    if push.minor:
        return Kept(held, sent=push)  # only real edits held: joined, it would be one of them
    # Only minor pushes held (a real edit would be alike): the oldest goes, to free a place.
    return Kept((*held[1:], push), sent=held[0])


def deadline(push: ContentChanged) -> datetime:
    """Return when a held push is sent as it came if its page is still unread: its own hour."""
    return push.occurred_at + WINDOW


def overdue(held: tuple[ContentChanged, ...], now: datetime) -> tuple[ContentChanged, ...]:
    """Return the held pushes whose page went unread for the whole window since they came."""
    return tuple(push for push in held if deadline(push) <= now)


def by_the_deadline(due: datetime, held: tuple[ContentChanged, ...], settled: Settled) -> datetime:
    """Return when to poll a page after a failed poll, given the pushes held for it.

    No later than the earliest deadline of those still held, when that push is sent as it came
    whatever the page answers: a server's pause (a Retry-After of a day) is kept up to that
    moment, not past it, or the push would wait for it too, though its publisher was promised
    the hour. With none left held, the pause is kept whole.
    """
    sent = {push.event_id for push in settled.released}
    waiting = [deadline(push) for push in held if push.event_id not in sent]
    return min([due, *waiting])


@dataclass(frozen=True, slots=True)
class Settled:
    """What a poll does with a push's mark, and with the pushes held for it."""

    told: datetime | None = None  # the mark used up (as read), to clear; None: left as it is
    released: tuple[ContentChanged, ...] = ()  # held pushes to send now
    dropped: tuple[ContentChanged, ...] = ()  # held pushes that repeated a change told already
    silent: bool = False  # the new text read is stored, and nobody is alerted by the poll
    notice: Notice | None = None


def settle(state: SourceState, now: datetime, *, read: bool, new: bool) -> Settled:
    """Return what a poll that read the page (``new``: its text is new) or failed to settle."""
    held, mark = state.held, state.told_until
    if not read:
        due = overdue(held, now)
        if not due:
            return Settled()
        # The mark is used up with the last push held, once it lapsed; before, it stays, for
        # the pushes still waiting and for the new text the latest push announced.
        used = mark if len(due) == len(held) and not pending(mark, now) else None
        return Settled(used, due, notice=_notice("unread", state.url, due))
    if new and (held or pending(mark, now)):
        notice = _notice("sent", state.url, held) if held else _notice("told", state.url)
        return Settled(mark, held, silent=True, notice=notice)
    if not new and held:
        return Settled(mark, dropped=held, notice=_notice("repeated", state.url, held))
    return Settled()


_NOTICES = {
    "told": (logging.INFO, "watcher: %s changed as its publisher's push told; stored, nobody is"
             " alerted again"),
    "sent": (logging.INFO, "watcher: %s shows new text; stored, and the %d push(es) that waited"
             " for it are sent, as %d change(s): one for its real edits, one per set of topics"
             " of its minor pushes"),
    "repeated": (logging.INFO, "watcher: %s still shows the text told already; the %d push(es)"
                 " that came after it repeated that change and are not sent"),
    "unread": (logging.WARNING, "watcher: %s could not be read within an hour of a push that"
               " waited for it; the %d push(es) are sent as they came, as %d change(s): one for"
               " its real edits, one per set of topics of its minor pushes"),
}  # fmt: skip


def _notice(which: str, url: str, pushes: tuple[ContentChanged, ...] | None = None) -> Notice:
    level, message = _NOTICES[which]
    if pushes is None:
        return Notice(level, message, (url,))
    if which == "repeated":
        return Notice(level, message, (url, len(pushes)))
    return Notice(level, message, (url, len(pushes), len(one_per_edit(pushes))))
