"""Applying a catalogue as `varsel catalogue apply` on another machine would: its own engine."""

from __future__ import annotations

from services.admin import catalogue as commands
from shared.catalogue import parse_catalogue_text
from shared.clock import SystemClock
from shared.db import create_engine, session_factory


async def apply_elsewhere(database_url: str, text: str, origin: str = "catalogue.toml") -> None:
    """Apply a catalogue's text in one transaction of a fresh engine, as the command does."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await commands.apply(
                session,
                parse_catalogue_text(text, origin),
                actor="cli:test",
                client="cli",
                origin=origin,
                now=SystemClock().now(),
            )
    finally:
        await engine.dispose()
