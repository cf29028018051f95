"""A delivery's reference read as the row stores it, so a damaged one fails only its own row.

The column is JSON, and SQLAlchemy decodes it while fetching: one row whose text is not JSON
(SQLite keeps the column as plain text), nested past what Python reads, or not UTF-8 would
fail the whole fetch, and with it every claim or every rhythm change that reads the row.
Read as text (or bytes) and decoded here, each row says for itself whether it can be read.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, Text, cast
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import Reference, decode_reference


def stored_reference(session: AsyncSession) -> ColumnElement[Any]:
    """The reference as the row stores it: a batch's rows mostly share one (one change fanned
    out), read once per distinct text rather than once per row. SQLite's as bytes: text that is
    not UTF-8 would fail the whole fetch there, not its row."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(Delivery.reference, LargeBinary)
    return cast(Delivery.reference, Text)


def read_reference(kind: str, stored: str | bytes | None) -> Reference | ValueError:
    """Return the reference a row stores, or the ValueError that says why there is none."""
    try:
        text = stored.decode("utf-8") if isinstance(stored, bytes) else stored
        value = json.loads(text) if text is not None else {}
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or nested past reading
        return ValueError(f"not a {kind!r} delivery reference: {type(exc).__name__}: {exc}")
    try:
        return decode_reference(kind, value)
    except ValueError as exc:
        return exc
