"""Keeping each process's catalogue current: apply VARSEL_CONFIG at start, then follow changes.

The admin service owns the catalogue; every process, whatever services it hosts, reads it
through the admin's ``read_api`` into the runtime's ``LiveCatalogue`` and re-syncs its watcher
when the version moves (docs/decisions/0011). The composition root does this because it is the
one place that knows both the admin's read interface and the watcher a process runs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import catalogue as catalogue_commands
from services.admin import read_api as admin
from shared.commands import counted
from shared.events import CatalogueChanged
from shared.failing_passes import PassFailures
from shared.runtime import Runtime
from shared.wakeup import sleep_until_woken

if TYPE_CHECKING:
    from services.watcher.bootstrap import Watcher

log = logging.getLogger(__name__)

# Every process follows the catalogue; on RabbitMQ its replicas share this queue, so one of
# them hears each change at once and the rest at their next version check.
CONSUMER: Final = "catalogue"


class CatalogueFollower:
    """Reads the catalogue again whenever its version moves, and brings the watcher along."""

    def __init__(self, runtime: Runtime, watcher: Watcher | None) -> None:
        self._runtime = runtime
        self._watcher = watcher
        self._wake = asyncio.Event()
        runtime.bus.subscribe(CONSUMER, CatalogueChanged, self.changed)

    async def start(self) -> None:
        """Apply ``VARSEL_CONFIG`` if it changed since last applied, then read the catalogue.

        The watcher is not synced here: it syncs when it starts, after this.
        """
        runtime = self._runtime
        await catalogue_commands.apply_at_start(
            runtime.sessions,
            runtime.settings.catalogue_path,
            runtime.clock.now(),
            allow_private=runtime.settings.allow_private_addresses,
        )
        await self._read()

    async def changed(self, event: CatalogueChanged, session: AsyncSession) -> None:
        """A change was announced: check now rather than at the next interval."""
        if event.catalogue_version != self._runtime.catalogue.version:
            self._wake.set()

    async def refresh(self) -> bool:
        """Read the catalogue if its version moved, and re-sync the watcher; tell whether it did."""
        if not await self._read():
            return False
        if self._watcher is not None:
            await self._watcher.sync_sources()
        return True

    async def _read(self) -> bool:
        live = self._runtime.catalogue
        async with self._runtime.sessions() as session:
            if await admin.catalogue_version(session) == live.version:
                return False
            version, catalogue = await admin.current_catalogue(session)
        live.replace(catalogue, version)
        log.info(
            "catalogue: now at version %d: %s, %s",
            version,
            counted(len(catalogue.topics), "topic"),
            counted(len(catalogue.sources), "source"),
        )
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Check the version every ``VARSEL_CATALOGUE_CHECK_SECONDS`` until stopped."""
        interval = self._runtime.settings.catalogue_check_seconds
        failures = PassFailures(log, "catalogue: reading the catalogue (the one in force is kept)")
        while not stop.is_set():
            await sleep_until_woken(self._wake, stop, interval)
            if stop.is_set():
                return
            try:
                await self.refresh()
            except Exception as exc:
                failures.failed(exc)
            else:
                failures.succeeded()
