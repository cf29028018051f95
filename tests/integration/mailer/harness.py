"""A mailer on a real database and a real SMTP server, driven step by step with a frozen clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.catalogue import apply_at_start
from services.mailer.adapters.senders import MailSender
from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from services.mailer.delivery import DeliveryWorker
from services.subscriptions import handlers
from services.subscriptions.adapters.tables import SignupRequest, Subscriber
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.domain.model import Frequency, SignupForm
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.subscriptions.entrypoints import consumers
from shared.clock import FrozenClock
from shared.events import BulletinPublished, ContentChanged, Event
from shared.outbox import record
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from shared.vocabulary import Frequency as VocabularyFrequency
from tests.support.notices import NOTICES
from tests.support.smtp import Mailbox, Received

BOUNCE_LIMIT = 3

CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", en = "Norway in the world" }
page = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"

[[topics]]
slug = "vaksiner"
title = { nb = "Vaksiner", en = "Vaccines" }
page = "https://www.fhi.no/vaksiner/"

[[sources]]
url = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
kind = "page"
topics = ["norge-i-verden"]

[[sources]]
url = "https://www.fhi.no/vaksiner/"
kind = "page"
topics = ["vaksiner"]
"""


# The source each topic's changes come from in ``change_event``: the watcher polls only the
# catalogue's sources, and a poll of one the catalogue no longer holds is withdrawn.
SOURCES = {
    "norge-i-verden": "https://www.fhi.no/om/internasjonalt/norge-i-verden/",
    "vaksiner": "https://www.fhi.no/vaksiner/",
}


def write_catalogue(directory: Path) -> Path:
    """Write the test catalogue and return its path."""
    path = directory / "catalogue.toml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return path


@dataclass
class Harness:
    """One mailer and the subscriptions commands that feed it, on a shared runtime."""

    runtime: Runtime
    mailer: Mailer
    clock: FrozenClock
    mailbox: Mailbox

    @classmethod
    def build(
        cls,
        database_url: str,
        smtp_url: str,
        catalogue: Path,
        clock: FrozenClock,
        mailbox: Mailbox,
        **overrides: Any,
    ) -> Harness:
        """Wire a runtime, the mailer and the subscriptions service's consumers (bounces)."""
        settings = Settings(
            database_url=database_url,
            smtp_url=smtp_url,
            config=catalogue,
            base_url="http://127.0.0.1:8000",
            mail_from="Folkehelseinstituttet <varsel@fhi.no>",
            list_id="varsel.fhi.no",
            **overrides,
        )
        runtime = build_runtime(settings, clock=clock)
        mailer = Mailer(runtime)
        consumers.subscribe(runtime.bus, cls.deps_of(runtime), bounce_limit=BOUNCE_LIMIT)
        return cls(runtime, mailer, clock, mailbox)

    async def store_catalogue(self) -> None:
        """Store the harness's catalogue in the database, as varsel does at start: the mailer
        reads the sources' modes there (and withdraws a poll of a source it does not hold)."""
        config = self.runtime.settings.config
        assert config is not None
        await apply_at_start(self.runtime.sessions, config, self.clock.now(), allow_private=True)

    @staticmethod
    def deps_of(runtime: Runtime) -> handlers.Deps:
        """Return the subscriptions commands' dependencies."""
        r = runtime
        return handlers.Deps(r.settings, r.catalogue, r.signer, r.clock, NOTICES)

    @property
    def deps(self) -> handlers.Deps:
        """Return the subscriptions commands' dependencies."""
        return self.deps_of(self.runtime)

    def uow(self) -> SqlUnitOfWork:
        """Return a unit of work for one subscriptions command."""
        return SqlUnitOfWork(self.runtime.sessions)

    def worker(
        self, sender: MailSender, *, concurrency: int, batch_size: int | None = None
    ) -> DeliveryWorker:
        """Return another delivery worker on the same database, sending through ``sender``."""
        return DeliveryWorker(
            self.runtime.sessions,
            sender,
            self.mailer.builder,
            self.clock,
            envelope=self.mailer.envelope,
            concurrency=concurrency,
            batch_size=batch_size,
        )

    async def close(self) -> None:
        """Release SMTP connections and the database."""
        await self.mailer.sender.close()
        await self.runtime.close()

    async def relay(self) -> None:
        """Publish every committed event to its consumers."""
        while await self.runtime.relay.publish_pending():
            pass

    async def subscribe(
        self,
        address: str,
        topics: Iterable[str] = ("norge-i-verden",),
        frequency: Frequency = "immediate",
        language: str = "nb",
    ) -> uuid.UUID:
        """Sign a person up and confirm (double opt-in); return their subscriber id."""
        form = SignupForm(address, tuple(topics), frequency, language, None)
        assert await handlers.sign_up(self.uow(), self.deps, form, client="192.0.2.1")
        async with self.runtime.sessions() as session:
            request_id = await session.scalar(
                select(SignupRequest.id)
                .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
                .where(Subscriber.email == address, SignupRequest.confirmed_at.is_(None))
            )
        assert request_id is not None
        token = self.runtime.signer.sign("confirm", request_id, self.clock.now())
        outcome = await handlers.confirm(self.uow(), self.deps, token)
        assert outcome is not None
        await self.relay()
        return outcome.subscriber_id

    async def change_frequency(
        self,
        subscriber_id: uuid.UUID,
        frequency: Frequency,
        topics: Iterable[str] = ("norge-i-verden",),
        *,
        relay: bool = True,
    ) -> None:
        """Let a person change their rhythm on the manage page, and deliver the event."""
        token = self.runtime.signer.sign("manage", subscriber_id, self.clock.now())
        saved = await handlers.update_preferences(
            self.uow(),
            self.deps,
            token,
            topics=list(topics),
            frequency=VocabularyFrequency(frequency),
        )
        assert saved is not None
        if relay:
            await self.relay()

    async def end_all(self, subscriber_id: uuid.UUID) -> None:
        """Let a person end all their alerts with the link in a mail (not relayed)."""
        assert await handlers.unsubscribe(
            self.uow(),
            self.deps,
            self.runtime.signer.sign("unsubscribe", subscriber_id, self.clock.now()),
            purposes=("unsubscribe",),
            topics=None,
            route=UnsubscribeRoute.LINK,
        )

    async def erase(self, subscriber_id: uuid.UUID) -> None:
        """Let a person end everything and delete their address with a link (not relayed)."""
        assert await handlers.erase(
            self.uow(),
            self.deps,
            self.runtime.signer.sign("unsubscribe", subscriber_id, self.clock.now()),
            purposes=("unsubscribe",),
            route=UnsubscribeRoute.LINK,
        )

    async def seeded(self) -> None:
        """Send the confirmation mails and forget them, so tests see only what follows."""
        await self.send_all()
        with self.mailbox.lock:
            self.mailbox.messages.clear()

    def change_event(
        self, title: str, topics: Iterable[str] = ("norge-i-verden",), **fields: Any
    ) -> ContentChanged:
        """Return the event of a change the watcher finds now."""
        slug = next(iter(topics))
        return ContentChanged(
            source_id=fields.pop("source_id", 1),
            source_url=fields.pop("source_url", SOURCES.get(slug, f"https://www.fhi.no/{slug}/")),
            kind="page",
            topics=tuple(topics),
            title=title,
            url=fields.pop("url", f"https://www.fhi.no/{slug}/#{uuid.uuid4().hex[:8]}"),
            summary=fields.pop("summary", f"Nytt om {title}."),
            occurred_at=self.clock.now(),
            **fields,
        )

    async def publish(self, event: Event) -> None:
        """Record an event as its service would (through the outbox) and deliver it."""
        async with self.runtime.sessions() as session, session.begin():
            await record(session, event)
        await self.relay()

    async def change(
        self, title: str, topics: Iterable[str] = ("norge-i-verden",), **fields: Any
    ) -> ContentChanged:
        """Let the watcher report a change now (through the outbox) and deliver it."""
        event = self.change_event(title, topics, **fields)
        async with self.runtime.sessions() as session, session.begin():
            await record(session, event)
        await self.relay()
        return event

    async def bulletin(
        self, subject: str, topics: Iterable[str] = ("norge-i-verden",), *, urgent: bool
    ) -> BulletinPublished:
        """Let an editor send a bulletin now (through the outbox) and deliver it to the mailer."""
        event = BulletinPublished(
            bulletin_id=uuid.uuid4(),
            topics=tuple(topics),
            texts={
                "nb": {"subject": subject, "body": f"Viktig: **{subject}**.\n\n- punkt"},
                "en": {"subject": f"{subject} (en)", "body": f"Important: **{subject}**."},
            },
            urgent=urgent,
            actor="rita",
            occurred_at=self.clock.now(),
        )
        async with self.runtime.sessions() as session, session.begin():
            await record(session, event)
        await self.relay()
        return event

    async def send_all(self, passes: int = 50) -> int:
        """Run the delivery worker until nothing is due; return deliveries handled."""
        handled = 0
        for _ in range(passes):
            count = await self.mailer.worker.send_due()
            if not count:
                return handled
            handled += count
            await self.relay()
        raise AssertionError("the delivery worker never ran out of due work")

    async def subscriber(self, subscriber_id: uuid.UUID) -> Subscriber | None:
        """Return a subscriber row as stored now."""
        async with self.runtime.sessions() as session:
            return await session.get(Subscriber, subscriber_id)

    async def deliveries(self, kind: str | None = None) -> list[Delivery]:
        """Return the delivery ledger, oldest first."""
        async with self.runtime.sessions() as session:
            query = select(Delivery).order_by(Delivery.id)
            if kind is not None:
                query = query.where(Delivery.kind == kind)
            return list((await session.scalars(query)).all())

    def received(self) -> list[Received]:
        """Return the mails the SMTP server accepted so far."""
        with self.mailbox.lock:
            return list(self.mailbox.messages)

    def received_by(self, address: str) -> list[Received]:
        """Return the mails one address got."""
        return [m for m in self.received() if m.recipients == [address]]


def at(text: str) -> datetime:
    """Parse an aware ISO time, e.g. ``2026-03-29T05:00:00+00:00``."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


def on(*databases: str) -> pytest.MarkDecorator:
    """Run a test on only some databases: the behaviour is not database-specific (fast suite)."""
    return pytest.mark.parametrize("database_url", list(databases), indirect=True)
