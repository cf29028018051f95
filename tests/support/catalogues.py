"""Storing a catalogue file as an operator's ``varsel catalogue apply`` does, for tests that end
topics or change sources mid-way."""

from __future__ import annotations

from pathlib import Path

from services.admin import catalogue
from services.admin import read_api as admin_read
from shared.catalogue_file import load_catalogue
from shared.runtime import Runtime


async def apply_file(runtime: Runtime, path: Path, *, actor: str) -> None:
    """Store the catalogue in ``path`` as ``actor`` did from the command line, and commit."""
    async with runtime.sessions() as session, session.begin():
        await catalogue.apply(
            session,
            load_catalogue(path),
            actor=actor,
            client="test",
            origin="cli",
            now=runtime.clock.now(),
        )


async def apply_and_follow(runtime: Runtime, path: Path, *, actor: str) -> None:
    """Store the catalogue in ``path`` and have this process read it at once, as it does within
    VARSEL_CATALOGUE_CHECK_SECONDS (varsel/live_catalogue.py), so a page served next sees it."""
    await apply_file(runtime, path, actor=actor)
    async with runtime.sessions() as session:
        version, stored = await admin_read.current_catalogue(session)
    runtime.catalogue.replace(stored, version)


async def catalogue_now(runtime: Runtime, path: Path, text: str) -> None:
    """Write ``text`` to ``path``, store it as an operator's apply does and have this process
    follow it: a change made while a page is open."""
    path.write_text(text, encoding="utf-8")
    await apply_and_follow(runtime, path, actor="cli:rita")
