"""Addresses left in the names that failed or refused sign-ins were audited under, taken out.

Migrations 0024 and 0033 call it on entries written before the sign-in redacted what was typed
(services/admin/authentication.py); it redacts as the sign-in does, with ``shared.logs.redact``.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.logs import AT_SIGNS, redact

_ACTOR_LIMIT: Final = 100  # admin_audit_log.actor (0002)
_AUDIT = sa.table("admin_audit_log", sa.column("id"), sa.column("actor"), sa.column("action"))


def redact_sign_in_names(bind: Connection) -> None:
    """Replace each address in the audited names of failed and refused sign-ins by «[address]»."""
    # Only names with an at sign can hold one; a look-alike (＠, ﹫) too, which NFKC folds to
    # "@" (docs/privacy.md): 0024 looked for "@" alone and left «ola＠example．no» as it was.
    tried = bind.execute(
        sa.select(_AUDIT.c.id, _AUDIT.c.actor).where(
            _AUDIT.c.action.in_(("login_failed", "login_limited")),
            sa.or_(*(_AUDIT.c.actor.contains(sign, autoescape=True) for sign in AT_SIGNS)),
        )
    ).all()
    for entry_id, actor in tried:
        # The name was cut to the column's 100 characters when written; «[address]» can be
        # longer than the address it stands for, and is cut the same way.
        if (redacted := redact(actor)[:_ACTOR_LIMIT]) != actor:
            bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == entry_id).values(actor=redacted))
