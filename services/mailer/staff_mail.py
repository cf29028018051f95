"""Building a staff notice from its delivery: an operator's about a source, an editor's reminder
or test of a bulletin.

Staff are not subscribers: the ledger names them only in the reference (an operator's place in
``VARSEL_OPERATOR_EMAILS``, an editor's account id), and the address is read when the mail is
built, as a subscriber's is (docs/decisions/0020). Nothing here reads the database: the batch's
context holds the changes and the staff accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.mailer.batch_context import BatchContext
from services.mailer.domain.bulletin_mail import render_bulletin
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.ledger import (
    BulletinTestReference,
    Claimed,
    OperatorNoticeReference,
    ReviewReminderReference,
)
from services.mailer.domain.mime import RecipientLinks
from services.mailer.domain.operator_mail import (
    notice_bytes,
    render_operator_mail,
    render_review_reminder,
)
from services.mailer.domain.review import ChangeStatus
from shared.i18n.templates import LocalisedTemplates
from shared.live_catalogue import CatalogueView
from shared.settings import Settings
from shared.vocabulary import Frequency


@dataclass(frozen=True, slots=True)
class StaffMail:
    """A staff notice ready to go: its one recipient and its bytes."""

    recipient: str
    message: bytes


class StaffMailBuilder:
    """Turns a claimed staff delivery into its mail."""

    def __init__(
        self, settings: Settings, env: LocalisedTemplates, catalogue: CatalogueView
    ) -> None:
        self._settings = settings
        self._env = env
        self._catalogue = catalogue  # the topics' titles a test names, as the real mails do
        # The Message-IDs staff notices had when they were sent from the handlers: a notice
        # sent again is the same message.
        self._envelope = Envelope.of(settings.mail_from)

    def build(self, item: Claimed, context: BatchContext) -> StaffMail | None:
        """Build the notice, or None when nobody is to get it now; LookupError if its change is
        no longer stored."""
        settings = self._settings
        reference = item.reference
        if isinstance(reference, BulletinTestReference):
            editor = context.staff.get(reference.user_id)
            if editor is None:
                return None  # disabled or without an address since it was asked for
            return StaffMail(editor.email, self._bulletin_test(reference, editor.email))
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

    def _bulletin_test(self, reference: BulletinTestReference, recipient: str) -> bytes:
        """Lay the test out as the real mail, footer included; its links lead to the public
        pages rather than to anyone's alerts."""
        settings, language = self._settings, reference.language
        base = settings.base_url
        titles = []
        for slug in reference.topics:
            topic = self._catalogue.topic(slug)
            titles.append(topic.title_in(language) if topic else slug)
        mail = render_bulletin(
            self._env,
            language=language,
            texts={language: {"subject": reference.subject, "body": reference.body}},
            topic_titles=titles,
            frequency=Frequency.IMMEDIATE,
            sender=settings.mail_from,
            list_id=settings.list_id,
            base_url=base,
            site_name=settings.site_name,
            brand=settings.brand,
            privacy_url=settings.resolved_privacy_url,
            test=True,
        )
        links = RecipientLinks(f"{base}/manage-link", f"{base}/manage-link", f"{base}/manage-link")
        message_id = self._envelope.notice_message_id(reference.request_id, reference.index)
        # Dated when it is built, as the notices are.
        now = datetime.now(UTC)
        return mail.personalise(to=recipient, links=links, message_id=message_id, date=now)
