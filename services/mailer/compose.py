"""Building a delivery's mail: render once per (mail, content, language), personalise per person."""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.dkim import build_dkim_signer
from services.mailer.adapters.tables import ChangeRecord, PendingItem
from services.mailer.domain.message import (
    RecipientLinks,
    RenderedMail,
    render_alert,
    render_confirm,
    render_digest,
    render_manage_link,
)
from services.mailer.domain.periods import Period
from services.mailer.domain.views import ChangeView, build_digest_sections
from services.subscriptions import read_api
from shared.catalogue import Catalogue
from shared.settings import Settings
from shared.tokens import TokenSigner
from shared.vocabulary import SourceKind

log = logging.getLogger(__name__)

_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Built:
    """A rendered mail plus the links that make it one person's."""

    mail: RenderedMail
    links: RecipientLinks | None

    def personalise(self, *, to: str, message_id: str, now: datetime) -> bytes:
        """Return the final bytes for one recipient."""
        return self.mail.personalise(to=to, links=self.links, message_id=message_id, date=now)


class Composer:
    """Turns a claimed delivery into a mail for its recipient."""

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        signer: TokenSigner,
        sessions: async_sessionmaker[AsyncSession],
        env: jinja2.Environment,
    ) -> None:
        self._settings = settings
        self._catalogue = catalogue
        self._signer = signer
        self._sessions = sessions
        self._env = env
        self._cache: OrderedDict[tuple[str, ...], RenderedMail] = OrderedDict()
        self.envelope_sender = parseaddr(settings.mail_from)[1] or "varsel@localhost"
        self.message_domain = self.envelope_sender.rpartition("@")[2] or "localhost"
        self._dkim = build_dkim_signer(settings)

    def sign(self, message: bytes) -> bytes:
        """Return the final bytes, DKIM-signed when a key is configured."""
        return message if self._dkim is None else self._dkim.sign(message)

    def links_for(self, subscriber_id: uuid.UUID, now: datetime) -> RecipientLinks:
        """Return a person's manage, unsubscribe and one-click links."""
        base = self._settings.base_url
        unsubscribe = self._signer.sign("unsubscribe", subscriber_id, now)
        return RecipientLinks(
            manage_url=f"{base}/manage/{self._signer.sign('manage', subscriber_id, now)}",
            unsubscribe_url=f"{base}/unsubscribe/{unsubscribe}",
            one_click_url=f"{base}/one-click/{unsubscribe}",
        )

    def _cached(self, key: tuple[str, ...], make: Any) -> RenderedMail:
        mail = self._cache.get(key)
        if mail is None:
            mail = make()
            self._cache[key] = mail
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return mail

    def _topic_title(self, slug: str, language: str) -> str:
        topic = self._catalogue.topic(slug)
        return topic.title_in(language) if topic else slug

    def _topic_page(self, slug: str) -> str | None:
        """Return where a topic's full list of changes is, for digests cut short."""
        topic = self._catalogue.topic(slug)
        return topic.page if topic else None

    def change_view(self, change: ChangeRecord, language: str) -> ChangeView:
        """Return how a mail shows a stored change."""
        view = ChangeView(
            title=change.title,
            url=change.url,
            topic_slugs=tuple(change.topics),
            topic_titles=tuple(self._topic_title(t, language) for t in change.topics),
            published=change.published,
            updated=change.updated,
            summary=change.summary,
            occurred_at=change.occurred_at,
            kind=SourceKind.parse(change.kind) or SourceKind.PAGE,
        )
        if change.url and view.url is None:
            log.warning(
                "mailer: change %s links to %r, which is no safe web address; "
                "its mails go without the link",
                change.id,
                change.url[:200],
            )
        return view

    async def build(
        self,
        kind: str,
        reference: dict[str, str],
        person: read_api.Addressee,
        changes: dict[uuid.UUID, ChangeRecord],
        now: datetime,
        items: Sequence[uuid.UUID] | None = None,
    ) -> Built | None:
        """Build the mail, or None if it is no longer wanted; LookupError if its data is gone.

        ``items`` are a digest's change ids, when the caller loaded them with the batch.
        """
        language = person.language
        common: dict[str, Any] = {
            "sender": self._settings.mail_from,
            "base_url": self._settings.base_url,
            "site_name": self._settings.site_name,
            "privacy_url": f"{self._settings.base_url}{self._settings.privacy_url}",
        }
        if kind == "confirm":
            async with self._sessions() as session:
                context = await read_api.confirmation_context(
                    session, uuid.UUID(reference["request_id"])
                )
            if context is None or not context.open or context.expires_at <= now:
                return None
            token = self._signer.sign("confirm", uuid.UUID(reference["request_id"]), now)
            mail = render_confirm(
                self._env,
                language=context.language,
                confirm_url=f"{self._settings.base_url}/confirm/{token}",
                topics=[self._topic_title(t, context.language) for t in context.topics],
                existing_topics=[
                    self._topic_title(t, context.language) for t in context.existing_topics
                ],
                frequency=context.frequency,
                expires_days=self._settings.confirm_ttl_days,
                **common,
            )
            return Built(mail, None)
        if not person.active:
            return None
        if kind == "manage_link":
            mail = render_manage_link(
                self._env,
                language=language,
                manage_url=self.links_for(person.subscriber_id, now).manage_url,
                **common,
            )
            return Built(mail, None)
        if kind == "alert":
            change = changes.get(uuid.UUID(reference["change_id"]))
            if change is None:
                raise LookupError("the change is no longer stored")
            followed = [t for t in change.topics if t in person.topics]
            if not followed:
                return None
            mail = self._cached(
                ("alert", str(change.id), language, followed[0]),
                lambda: render_alert(
                    self._env,
                    language=language,
                    change=self.change_view(change, language),
                    topic_title=self._topic_title(followed[0], language),
                    list_id=self._settings.list_id,
                    **common,
                ),
            )
            return Built(mail, self.links_for(person.subscriber_id, now))
        if kind == "digest":
            return await self._digest(reference, person, now, common, changes, items)
        raise ValueError(f"unknown delivery kind {kind!r}")

    async def _digest(
        self,
        reference: dict[str, str],
        person: read_api.Addressee,
        now: datetime,
        common: dict[str, Any],
        changes: dict[uuid.UUID, ChangeRecord],
        items: Sequence[uuid.UUID] | None,
    ) -> Built | None:
        if items is None or any(i not in changes for i in items):
            rows = await self._digest_changes(reference)
        else:
            rows = [changes[i] for i in items]
        language = person.language
        wanted = sorted((c for c in rows if set(c.topics) & person.topics), key=lambda c: str(c.id))
        if not wanted:
            return None
        # People with the same topics and language get the same digest: render it once.
        key = (
            "digest",
            reference["frequency"],
            reference["start"],
            language,
            ",".join(sorted(person.topics)),
            ",".join(str(c.id) for c in wanted),
        )

        def render() -> RenderedMail:
            views = [self.change_view(c, language) for c in wanted]
            topics = {slug: self._topic_title(slug, language) for slug in sorted(person.topics)}
            sections = build_digest_sections(views, topics, more_url=self._topic_page)
            period = Period(
                frequency=reference["frequency"],  # type: ignore[arg-type]
                start=datetime.fromisoformat(reference["start"]),
                end=datetime.fromisoformat(reference["end"]),
                tz=ZoneInfo(self._settings.timezone),
            )
            return render_digest(
                self._env,
                language=language,
                period=period,
                sections=sections,
                list_id=self._settings.list_id,
                **common,
            )

        return Built(self._cached(key, render), self.links_for(person.subscriber_id, now))

    async def _digest_changes(self, reference: dict[str, str]) -> list[ChangeRecord]:
        """Load the changes attached to one digest delivery."""
        if "delivery_id" not in reference:
            raise LookupError("digest without a delivery id")
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ChangeRecord)
                .join(PendingItem, PendingItem.change_id == ChangeRecord.id)
                .where(PendingItem.delivery_id == int(reference["delivery_id"]))
            )
            return list(rows.all())
