"""Wiring of the mailer service: event consumers, the delivery worker and digest runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.dkim import build_dkim_signer
from services.mailer.adapters.senders import FileMailSender, build_sender
from services.mailer.adapters.tables import (
    BulletinRecord,
    ChangeRecord,
    Delivery,
    DigestCursor,
    DigestRun,
    PendingItem,
    ReleaseCounter,
)
from services.mailer.delivery import DeliveryWorker
from services.mailer.digests import DigestRunner
from services.mailer.domain.bounce_address import BounceAddress
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.mail_templates import build_environment
from services.mailer.entrypoints import consumers
from services.mailer.handlers import Deps
from services.mailer.links import SignedLinks
from services.mailer.mail_builder import MailBuilder
from services.mailer.retention import purge_deliveries
from services.mailer.returned_mail import ReturnedMail
from services.mailer.review_reminders import ReviewReminders
from shared.db import Base, scrub_deleted
from shared.housekeeping import run_retention
from shared.runtime import Runtime
from shared.settings import Settings

# The service's tables, registered with the composition root (varsel.schema).
TABLES: Final[tuple[type[Base], ...]] = (
    ChangeRecord,
    BulletinRecord,
    PendingItem,
    Delivery,
    DigestRun,
    ReleaseCounter,
    DigestCursor,
)


def envelope_of(settings: Settings) -> Envelope:
    """Return the envelope mails leave with: per-delivery senders if a bounce mailbox is set."""
    bounces = (
        BounceAddress.of(settings.bounce_address, settings.secret_key)
        if settings.bounce_address
        else None
    )
    return Envelope.of(settings.mail_from, bounces)


def returned_mail(runtime: Runtime) -> ReturnedMail | None:
    """Return the intake of late bounces and complaints; None without a bounce mailbox."""
    if not runtime.settings.bounce_address:
        return None
    return ReturnedMail(
        runtime.sessions, envelope_of(runtime.settings), on_commit=runtime.relay.wake
    )


class Mailer:
    """The mailer's parts, built from the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        env = build_environment()
        self._runtime = runtime
        self.sender = build_sender(
            settings.smtp_url, settings.outbox_dir, settings.mail_concurrency
        )
        self.builder = MailBuilder(
            settings, runtime.catalogue, SignedLinks(settings.base_url, runtime.signer), env
        )
        self.envelope = envelope_of(settings)
        self.dkim = build_dkim_signer(settings)
        self.worker = DeliveryWorker(
            runtime.sessions,
            self.sender,
            self.builder,
            runtime.clock,
            envelope=self.envelope,
            dkim=self.dkim,
            concurrency=settings.mail_concurrency,
            lease=timedelta(seconds=settings.mail_lease_seconds),
            stop=runtime.stop,
        )
        self.digests = DigestRunner(
            runtime.sessions,
            runtime.clock,
            timezone=settings.timezone,
            hour=settings.digest_hour,
            weekday=settings.digest_weekday,
        )
        self.reminders = ReviewReminders(
            runtime.sessions, settings, runtime.clock, wake=self.worker.wake
        )
        # The handlers' (and tests').
        self.deps = Deps(settings, runtime.clock, self.sender)
        consumers.subscribe(
            runtime.bus,
            self.deps,
            self.worker.wake,
            after_erasure=partial(scrub_deleted, runtime.engine),
        )

    async def housekeeping(self) -> dict[str, int]:
        """Delete finished deliveries, stored changes and outbox files past their periods (the
        hourly job)."""
        settings = self._runtime.settings
        sender = self.sender

        async def purge(session: AsyncSession, now: datetime) -> dict[str, int]:
            removed = await purge_deliveries(session, now, settings.delivery_retention_days)
            if isinstance(sender, FileMailSender):
                cutoff = now - timedelta(days=settings.outbox_retention_days)
                removed["outbox_files"] = await sender.purge_older(cutoff)
            return removed

        return await run_retention(self._runtime, "mailer", purge)
