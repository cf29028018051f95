"""Building a delivery's mail: render once per (mail, content, language), personalise per person.

What a mail shows is loaded beforehand for the whole batch (``batch_context``); rendered mails
are shared through the ``RenderCache``; links are signed by ``SignedLinks``. Nothing here reads
the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.mailer.adapters.tables import BulletinRecord, ChangeRecord
from services.mailer.batch_context import BatchContext
from services.mailer.domain.alert_mail import render_alert, render_topic_ended
from services.mailer.domain.bulletin_mail import bulletin_context, render_bulletin
from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.digest_mail import render_digest
from services.mailer.domain.ledger import (
    AlertReference,
    BulletinReference,
    Claimed,
    ConfirmReference,
    DeliveryKind,
    DigestReference,
    ManageLinkReference,
    PageRemovedReference,
    TopicEndedReference,
)
from services.mailer.domain.mail_context import in_language
from services.mailer.domain.manage_link_mail import render_manage_link
from services.mailer.domain.mime import RecipientLinks, RenderedMail
from services.mailer.domain.removal_mail import render_page_removed
from services.mailer.domain.review import shown_text
from services.mailer.domain.views import ChangeView, build_digest_sections
from services.mailer.links import SignedLinks
from services.mailer.render_cache import RenderCache
from services.mailer.staff_mail import StaffMailBuilder
from services.subscriptions import read_api
from shared.i18n.templates import LocalisedTemplates
from shared.live_catalogue import CatalogueView
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Built:
    """A rendered mail plus the links that make it one person's."""

    mail: RenderedMail
    links: RecipientLinks | None

    def personalise(self, *, to: str, message_id: str, now: datetime) -> bytes:
        """Return the final bytes for one recipient."""
        return self.mail.personalise(to=to, links=self.links, message_id=message_id, date=now)

    def personalise_for_smtp(
        self, *, to: str, message_id: str, now: datetime
    ) -> tuple[bytes, bytes | None]:
        """Return the final bytes for one recipient and the same in DATA's transparent form
        (None if the sender must make it)."""
        return self.mail.personalise_for_smtp(
            to=to, links=self.links, message_id=message_id, date=now
        )


class MailBuilder:
    """Turns a claimed delivery into a mail for its recipient."""

    def __init__(
        self,
        settings: Settings,
        catalogue: CatalogueView,
        links: SignedLinks,
        env: LocalisedTemplates,
        cache: RenderCache | None = None,
    ) -> None:
        self._settings = settings
        self._catalogue = catalogue
        self._links = links
        self._env = env
        self._cache = cache or RenderCache()
        self.staff = StaffMailBuilder(settings, env, catalogue)  # operators' and editors' mails
        self._tz = ZoneInfo(settings.timezone)
        self._common: dict[str, Any] = {
            "sender": settings.mail_from,
            "base_url": settings.base_url,
            "site_name": settings.site_name,
            "brand": settings.brand,
            "privacy_url": settings.resolved_privacy_url,
        }

    def build(
        self, item: Claimed, person: read_api.Addressee, context: BatchContext, now: datetime
    ) -> Built | None:
        """Build the mail, or None if it is no longer wanted; LookupError if its data is gone."""
        reference = item.reference
        if isinstance(reference, ConfirmReference):
            request = context.requests.get(reference.request_id)
            if request is None or not request.open or request.expires_at <= now:
                return None
            confirm_url = self._links.confirm_url(reference.request_id, now)
            return Built(self._confirm(request, confirm_url), None)
        if not person.active:
            return None
        if isinstance(reference, ManageLinkReference):
            manage_url = self._links.for_subscriber(person.subscriber_id, now).manage_url
            mail = render_manage_link(
                self._env, language=person.language, manage_url=manage_url, **self._common
            )
            return Built(mail, None)
        if isinstance(reference, AlertReference):
            change = context.changes.get(reference.change_id)
            if change is None:
                raise LookupError("the change is no longer stored")
            earlier = [context.changes[e] for e in reference.earlier if e in context.changes]
            wanted = self._alert(change, earlier, person)
        elif isinstance(reference, TopicEndedReference):
            wanted = self._topic_ended(reference.slug, context, person)
        elif isinstance(reference, PageRemovedReference):
            wanted = self._page_removed(reference, person)
        elif isinstance(reference, BulletinReference):
            bulletin = context.bulletins.get(reference.bulletin_id)
            if bulletin is None:
                raise LookupError("the bulletin is no longer stored")
            wanted = self._bulletin(bulletin, person)
        else:
            if not isinstance(reference, DigestReference):  # a staff notice: self.staff builds it
                raise ValueError(f"a {item.kind} delivery is no mail to a subscriber")
            owed = context.digest_bulletins.get(item.id, [])
            notes = [context.bulletins[b] for b in owed if b in context.bulletins]
            wanted = self._digest(reference, item.id, context, notes, person)
        if wanted is None:
            return None
        return Built(wanted, self._links.for_subscriber(person.subscriber_id, now))

    def _confirm(self, request: read_api.ConfirmationContext, confirm_url: str) -> RenderedMail:
        language = request.language
        return render_confirm(
            self._env,
            language=language,
            confirm_url=confirm_url,
            topics=[self._topic_title(t, language) for t in request.topics],
            existing_topics=[self._topic_title(t, language) for t in request.existing_topics],
            frequency=request.frequency,
            expires_days=self._settings.confirm_ttl_days,
            **self._common,
        )

    def _alert(
        self, change: ChangeRecord, earlier: list[ChangeRecord], person: read_api.Addressee
    ) -> RenderedMail | None:
        # A topic that ended while the change waited on the desk (or was on its way) is one
        # its followers were told they would hear no more of: name one they still follow.
        followed = self._followed(change.topics, person)
        if not followed:
            return None
        language = person.language
        return self._cache.get(
            (DeliveryKind.ALERT, change.id, language, followed[0], *(e.id for e in earlier)),
            lambda: render_alert(
                self._env,
                language=language,
                change=self.change_view(change, language),
                earlier=[self.change_view(e, language) for e in earlier],
                tz=self._tz,
                topic_title=self._topic_title(followed[0], language),
                list_id=self._settings.list_id,
                **self._common,
            ),
        )

    def _bulletin(
        self, bulletin: BulletinRecord, person: read_api.Addressee
    ) -> RenderedMail | None:
        # Re-checked at send time: someone who no longer follows any of its topics gets nothing.
        followed = tuple(self._followed(bulletin.topics, person))
        if not followed:
            return None
        language = person.language
        return self._cache.get(
            (DeliveryKind.BULLETIN, bulletin.id, language, followed, person.frequency),
            lambda: render_bulletin(
                self._env,
                language=language,
                texts=bulletin.texts,
                topic_titles=[self._topic_title(t, language) for t in followed],
                frequency=person.frequency,
                list_id=self._settings.list_id,
                **self._common,
            ),
        )

    def _digest(
        self,
        reference: DigestReference,
        delivery_id: int,
        context: BatchContext,
        notes: list[BulletinRecord],
        person: read_api.Addressee,
    ) -> RenderedMail | None:
        wanted, change_ids = _digest_changes(context, context.digests.get(delivery_id, ()), person)
        told = sorted(
            (b for b in notes if not person.topics.isdisjoint(b.topics)),
            key=lambda b: b.occurred_at,
        )
        if not wanted and not told:
            return None
        language = person.language

        def render() -> RenderedMail:
            views = [self.change_view(c, language) for c in wanted]
            topics = {slug: self._topic_title(slug, language) for slug in sorted(person.topics)}
            sections = build_digest_sections(
                views, topics, more_url=lambda slug: self._topic_page(slug, language)
            )
            return render_digest(
                self._env,
                language=language,
                # The period's start, or the earliest change it holds after missed runs.
                period=reference.period(self._tz).since(c.occurred_at for c in wanted),
                sections=sections,
                bulletins=[bulletin_context(b.texts, language, level=2) for b in told],
                list_id=self._settings.list_id,
                **self._common,
            )

        # People with the same topics and language get the same digest: render it once.
        key = (
            DeliveryKind.DIGEST,
            reference.frequency,
            reference.start,
            language,
            ",".join(sorted(person.topics)),
            change_ids,
            ",".join(str(b.id) for b in told),
        )
        return self._cache.get(key, render)

    def _topic_ended(
        self, slug: str, context: BatchContext, person: read_api.Addressee
    ) -> RenderedMail | None:
        ended = context.catalogue.ended_topic(slug) if context.catalogue else None
        if ended is None:
            raise LookupError("the topic is no longer ended")  # it came back before the mail
        if slug not in person.topics:
            return None
        assert context.catalogue is not None
        language = person.language
        successor = context.catalogue.topic(ended.successor) if ended.successor else None
        # One who follows the successor already is told so, not asked to sign up for it again.
        followed = successor is not None and successor.slug in person.topics
        return self._cache.get(
            (DeliveryKind.TOPIC_ENDED, slug, language, person.frequency, followed),
            lambda: render_topic_ended(
                self._env,
                language=language,
                topic_title=ended.title_in(language),
                successor_title=successor.title_in(language) if successor else None,
                successor_url=(
                    in_language(f"{self._settings.base_url}/subscribe/{successor.slug}", language)
                    if successor and not followed
                    else None
                ),
                frequency=person.frequency,
                list_id=self._settings.list_id,
                **self._common,
            ),
        )

    def _page_removed(
        self, reference: PageRemovedReference, person: read_api.Addressee
    ) -> RenderedMail | None:
        followed = sorted(t for t in reference.topics if t in person.topics)
        if not followed:
            return None  # no longer follows any topic of the page
        language = person.language
        return self._cache.get(
            (DeliveryKind.PAGE_REMOVED, reference.url, language, person.frequency, *followed),
            lambda: render_page_removed(
                self._env,
                language=language,
                page_title=reference.title,
                page_url=reference.url,
                moved_to=reference.moved_to,
                topic_titles=[self._topic_title(t, language) for t in followed],
                frequency=person.frequency,
                list_id=self._settings.list_id,
                **self._common,
            ),
        )

    def _followed(self, topics: Iterable[str], person: read_api.Addressee) -> list[str]:
        """Return those of ``topics`` the person follows and the catalogue has not ended."""
        return [t for t in topics if t in person.topics and self._catalogue.ended_topic(t) is None]

    def _topic_title(self, slug: str, language: str) -> str:
        topic = self._catalogue.topic(slug)
        return topic.title_in(language) if topic else slug

    def _topic_page(self, slug: str, language: str) -> str | None:
        """Return where a topic's recent changes are listed, for digests cut short: the
        public page of its changes (``/topics/<slug>/changes``), not the watched page, which
        lists none of them."""
        if self._catalogue.topic(slug) is None:
            return None  # ended: the person's manage page instead
        return in_language(f"{self._settings.base_url}/topics/{slug}/changes", language)

    def change_view(self, change: ChangeRecord, language: str) -> ChangeView:
        """Return how a mail shows a stored change."""
        view = ChangeView(
            title=change.title,
            url=change.url,
            topic_slugs=tuple(change.topics),
            topic_titles=tuple(self._topic_title(t, language) for t in change.topics),
            published=change.published,
            updated=change.updated,
            summary=shown_text(change.summary, change.note),  # the approved note, if any
            occurred_at=change.occurred_at,
        )
        if change.url and view.url is None:
            log.warning(
                "mailer: change %s links to %r, which is no safe web address; "
                "its mails go without the link",
                change.id,
                change.url[:200],
            )
        return view


def _digest_changes(
    context: BatchContext, attached: tuple[uuid.UUID, ...], person: read_api.Addressee
) -> tuple[list[ChangeRecord], str]:
    """Return the stored changes of a digest's contents on the person's topics, in a fixed order,
    and their ids as one string (for the render cache's key).

    Made once per batch for all who share the contents and topics: most digests of a run do,
    and for a hundred changes the choice cost more than sending the mail.
    """
    key = (attached, person.topics)
    selection = context.digest_selections.get(key)
    if selection is None:
        stored = (context.changes[c] for c in attached if c in context.changes)
        wanted = sorted(
            (c for c in stored if not person.topics.isdisjoint(c.topics)), key=lambda c: str(c.id)
        )
        selection = context.digest_selections[key] = (wanted, ",".join(str(c.id) for c in wanted))
    return selection
