"""Writing mail as .eml files: the embedded mode's sender when no SMTP relay is configured."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import datetime
from pathlib import Path

from services.mailer.adapters.smtp_connection import HandOver
from shared.private_files import private_folder, write_private_file


class FileMailSender:
    """Writes each message as an .eml file (the embedded default when no SMTP server is set)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        hand_over: HandOver | None = None,
        owner: uuid.UUID | None = None,
        transparent: bytes | None = None,
        then: tuple[str, str] | None = None,
    ) -> None:
        """Write the message atomically so readers never see half a file.

        A person's files are named after their subscriber id (never the address), so erasing
        them can find their files.
        """
        name = f"{owner.hex}-{uuid.uuid4().hex}.eml" if owner else f"{uuid.uuid4().hex}.eml"
        temporary = self._directory / f".{name}.tmp"
        await asyncio.to_thread(self._write, temporary, message)

        def publish() -> None:  # the file's final dot: readers see it from now on
            os.replace(temporary, self._directory / name)

        if hand_over is None:
            publish()
            return
        try:
            await hand_over(publish)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _write(self, temporary: Path, message: bytes) -> None:
        private_folder(self._directory)
        try:
            write_private_file(temporary, message)
        except BaseException:
            # A full disk leaves part of a mail behind, address and all, under a name of its
            # own for each try: nothing else would delete it, the outbox's retention included.
            temporary.unlink(missing_ok=True)
            raise

    def abandon(self) -> None:
        """Nothing is written early."""

    def connections(self) -> int:
        """No relay limits the files written at once."""
        return sys.maxsize

    async def forget(self, owner: uuid.UUID) -> int:
        """Delete an erased person's files, half-written ones too; return how many."""
        patterns = (f"{owner.hex}-*.eml", f".{owner.hex}-*.eml.tmp")
        return await asyncio.to_thread(self._delete, patterns, None)

    async def purge_older(self, cutoff: datetime) -> int:
        """Delete the files written before ``cutoff`` (the outbox's retention); return how many."""
        return await asyncio.to_thread(self._delete, ("*.eml",), cutoff.timestamp())

    def _delete(self, patterns: tuple[str, ...], before: float | None) -> int:
        if not self._directory.is_dir():
            return 0
        deleted = 0
        for pattern in patterns:
            for path in self._directory.glob(pattern):
                try:
                    if before is None or path.stat().st_mtime < before:
                        path.unlink()
                        deleted += 1
                except FileNotFoundError:
                    continue  # deleted meanwhile by another run
        return deleted

    async def close(self) -> None:
        """Nothing to release."""
