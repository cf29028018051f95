"""Reminding editors, once, of a change that has waited on the desk longer than it should.

A change goes to the editors its topics name (``editors`` in the catalogue) that have an
address; only when none has one, to every editor with an address. Editors are staff, not
subscribers: their addresses come from the admin's ``read_api`` at the
moment a reminder is built, and the mails bypass the subscribers' ledger like the operators'
notices. The change is marked reminded and the mails handed over in one transaction: a
temporary SMTP failure rolls the mark back and the next run tries again; a crash after sending
but before the commit repeats a reminder with the same Message-ID, which a mail client shows
once. The conditional mark lets one mailer replica remind of a change, not every one.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin import read_api as staff
from services.mailer.adapters import reviews
from services.mailer.adapters.senders import MailSender, PermanentFailure
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.operator_mail import notice_bytes, render_review_reminder
from services.mailer.domain.review import ChangeStatus, is_overdue, reminder_recipients
from shared.clock import Clock
from shared.db import transaction
from shared.i18n.templates import LocalisedTemplates
from shared.settings import Settings

log = logging.getLogger(__name__)

# Changes reminded of per run; a longer backlog is taken by the next runs, a minute apart.
BATCH: Final = 50
# A topic may name operators as its editors too; the fallback reaches editors only.
REMINDED_ROLES: Final = ("editor", "operator")


class ReviewReminders:
    """The mailer's job that mails editors about changes waiting too long for review."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: MailSender,
        env: LocalisedTemplates,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._env = env
        self._settings = settings
        self._clock = clock
        self._envelope = Envelope.of(settings.mail_from)

    async def remind_overdue(self) -> int:
        """Mail the editors of each newly overdue change's topics (every editor when its topics
        name none with an address); return how many changes they were reminded of."""
        settings = self._settings
        now = self._clock.now()
        after = timedelta(seconds=settings.review_reminder_after)
        async with transaction(self._sessions) as session:
            found = await reviews.unreminded_waiting(session, now - after, BATCH)
            overdue = [
                change
                for change in found
                if is_overdue(
                    ChangeStatus(change.status),
                    change.occurred_at,
                    now,
                    after=after,
                    reminded_at=change.reminded_at,
                )
            ]
            if not overdue:
                return 0
            marked = set(await reviews.mark_reminded(session, [c.id for c in overdue], now))
            addressees = await staff.staff_addressees(session, REMINDED_ROLES)
            named = await staff.editors_by_topic(session)
            reminded = 0
            for change in (c for c in overdue if c.id in marked):
                # The topics the change was found for: its source's topics when it arrived.
                names = {name for slug in change.topics for name in named.get(slug, ())}
                editors = reminder_recipients(names, addressees)
                if not editors:
                    log.warning("review: change %s is overdue; no editor has an address", change.id)
                reminded += len(editors)
                mail = render_review_reminder(
                    self._env,
                    title=change.title,
                    source_url=change.source_url,
                    waiting_since=change.occurred_at,
                    desk_url=f"{settings.resolved_admin_url}/desk/{change.id}",
                    site=settings.site_name,
                    base_url=settings.base_url,
                )
                for editor in editors:
                    message = notice_bytes(
                        mail,
                        sender=settings.mail_from,
                        recipient=editor.email,
                        message_id=self._envelope.notice_message_id(change.id, editor.user_id),
                    )
                    try:
                        await self._sender.send(self._envelope.sender, editor.email, message)
                    except PermanentFailure as exc:
                        # Retrying cannot help a refused address; the other editors get theirs.
                        log.error("review: the mail server refused editor %s: %s", editor.name, exc)
            log.info(
                "review: sent %d reminder(s) of %d change(s) waiting on the desk",
                reminded,
                len(marked),
            )
        return len(marked)
