"""Wiring of the mailer service: event consumers, the delivery worker and digest runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.senders import build_sender
from services.mailer.compose import Composer
from services.mailer.delivery import DeliveryWorker
from services.mailer.digests import DigestRunner
from services.mailer.domain.message import build_environment
from services.mailer.handlers import MailerConsumers
from services.mailer.operator_alerts import OperatorAlerts
from shared.bus import Handler
from shared.events import (
    ContentChanged,
    ManageLinkRequested,
    PreferencesChanged,
    SignupRequested,
    SubscriberErased,
    SubscriberUnsubscribed,
)
from shared.runtime import Runtime


class Mailer:
    """The mailer's parts, built from the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.sender = build_sender(
            settings.smtp_url, settings.outbox_dir, settings.mail_concurrency
        )
        self.composer = Composer(
            settings, runtime.catalogue, runtime.signer, runtime.sessions, build_environment()
        )
        self.worker = DeliveryWorker(
            runtime.sessions,
            self.sender,
            self.composer,
            runtime.clock,
            concurrency=settings.mail_concurrency,
            lease=timedelta(seconds=settings.mail_lease_seconds),
        )
        self.digests = DigestRunner(
            runtime.sessions,
            runtime.clock,
            timezone=settings.timezone,
            hour=settings.digest_hour,
            weekday=settings.digest_weekday,
        )
        consumers = MailerConsumers(runtime.clock)
        bus = runtime.bus
        bus.subscribe("mailer", SignupRequested, self._woken(consumers.signup_requested))
        bus.subscribe("mailer", ManageLinkRequested, self._woken(consumers.manage_link_requested))
        bus.subscribe("mailer", ContentChanged, self._woken(consumers.content_changed))
        bus.subscribe("mailer", PreferencesChanged, self._woken(consumers.preferences_changed))
        bus.subscribe("mailer", SubscriberUnsubscribed, consumers.unsubscribed)
        bus.subscribe("mailer", SubscriberErased, consumers.erased)
        OperatorAlerts(settings, self.sender).subscribe(bus)

    def _woken(self, handler: Handler) -> Handler:
        """Wrap a consumer so the delivery worker looks for new work right after it."""

        async def run(event: Any, session: AsyncSession) -> None:
            await handler(event, session)
            self.worker.wake.set()

        return run
