"""What other services may ask of the admin service in their own transaction: an entry in the
audit log for what they did on the staff's behalf.

Every action on the staff side is audited (docs/decisions/0014): a change the mailer withdraws
on arrival, because its source was removed while a poll of it was under way, is one the removal
did, and its entry commits with the withdrawal as the removal's own withdrawals do.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import audit_log


def record_withdrawal(
    session: AsyncSession, change_id: UUID, source_url: str, *, actor: str, now: datetime
) -> None:
    """Write the audit entry of a change withdrawn as its source was removed, by ``actor``
    (who removed the source), as the catalogue writes it for the changes a removal withdraws."""
    audit_log.record(
        session,
        actor=actor,
        action="change_withdrawn",
        client="mailer",
        now=now,
        target=str(change_id),
        details={"source": source_url},
    )
