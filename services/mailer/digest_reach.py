"""How far back a person's digests reach, read the same way by the run and by the mail."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.domain.digest_window import bounded
from services.subscriptions import read_api


async def digest_since(
    session: AsyncSession, subscriber_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, datetime]]:
    """Return each person's open topics with the time from which their digests tell them: when
    they began following it, and not before their mail became digests (docs/decisions/0016,
    point 7: a switch from alerts need not reach the mailer before a run or a release)."""
    since = await read_api.followed_since(session, subscriber_ids)
    began = await read_api.frequency_since(session, subscriber_ids)
    return {person: bounded(topics, began.get(person)) for person, topics in since.items()}
