"""Building a staff notice from its delivery: an operator's about a source, an editor's reminder.

Staff are not subscribers: the ledger names them only in the reference (an operator's place in
``VARSEL_OPERATOR_EMAILS``, an editor's account id), and the address is read when the mail is
built, as a subscriber's is (docs/decisions/0020). Nothing here reads the database: the batch's
context holds the changes and the staff accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.mailer.batch_context import BatchContext
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.ledger import (
    Claimed,
    OperatorNoticeReference,
    ReviewReminderReference,
)
from services.mailer.domain.operator_mail import (
    notice_bytes,
    render_operator_mail,
    render_review_reminder,
)
from services.mailer.domain.review import ChangeStatus
from shared.i18n.templates import LocalisedTemplates
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class StaffMail:
    """A staff notice ready to go: its one recipient and its bytes."""

    recipient: str
    message: bytes


class StaffMailBuilder:
    """Turns a claimed staff delivery into its mail."""

    def __init__(self, settings: Settings, env: LocalisedTemplates) -> None:
        self._settings = settings
        self._env = env
        # The Message-IDs staff notices had when they were sent from the handlers: a notice
        # sent again is the same message.
        self._envelope = Envelope.of(settings.mail_from)

    def build(self, item: Claimed, context: BatchContext) -> StaffMail | None:
        """Build the notice, or None when nobody is to get it now; LookupError if its change is
        no longer stored."""
        settings = self._settings
        reference = item.reference
        if isinstance(reference, OperatorNoticeReference):
            if reference.index >= len(settings.operator_emails):
                return None  # the list of operators is shorter since: that place is gone
            recipient = settings.operator_emails[reference.index]
            mail = render_operator_mail(
                self._env,
                reference,
                site=settings.site_name,
                base_url=settings.base_url,
                admin_url=settings.resolved_admin_url,
            )
            message_id = self._envelope.notice_message_id(reference.event_id, reference.index)
        elif isinstance(reference, ReviewReminderReference):
            change = context.changes.get(reference.change_id)
            if change is None:
                raise LookupError("the change is no longer stored")
            editor = context.staff.get(reference.user_id)
            if editor is None or change.status != ChangeStatus.WAITING:
                return None  # disabled or without an address since, or decided meanwhile
            recipient = editor.email
            mail = render_review_reminder(
                self._env,
                title=change.title,
                source_url=change.source_url,
                waiting_since=change.occurred_at,
                desk_url=f"{settings.resolved_admin_url}/desk/{change.id}",
                site=settings.site_name,
                base_url=settings.base_url,
            )
            message_id = self._envelope.notice_message_id(change.id, editor.user_id)
        else:
            raise ValueError(f"a {item.kind} delivery is no staff notice")
        message = notice_bytes(
            mail, sender=settings.mail_from, recipient=recipient, message_id=message_id
        )
        return StaffMail(recipient, message)
