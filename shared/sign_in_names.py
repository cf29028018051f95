"""What a failed or refused sign-in is audited under: the name typed, without any address.

The sign-in (services/admin/authentication.py) redacts what was typed with ``tried_name`` as it
writes the entry; migrations 0024, 0033 and 0034 redact entries written before with it.
"""

from __future__ import annotations

import re
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.audit_addresses import ADDRESS, could_be_address
from shared.logs import AT_SIGNS, redact

_ACTOR_LIMIT: Final = 100  # admin_audit_log.actor (0002)
_WORD: Final = re.compile(r"\S+")
_AT_SIGNS: Final = (*AT_SIGNS, "%40")


def tried_name(name: str) -> str:
    """Return a name typed at sign-in with each address in it, or word that could be one, as
    «[address]» (audit_addresses.could_be_address)."""
    return _WORD.sub(
        lambda found: ADDRESS if could_be_address(found.group()) else found.group(), redact(name)
    )


_AUDIT = sa.table("admin_audit_log", sa.column("id"), sa.column("actor"), sa.column("action"))


def redact_sign_in_names(bind: Connection) -> None:
    """Redact the audited names of failed and refused sign-ins as ``tried_name`` does."""
    # Only names with an at sign can hold one; a look-alike (＠, ﹫) too, which NFKC folds to
    # "@" (docs/privacy.md): 0024 looked for "@" alone and left «ola＠example．no» as it was.
    tried = bind.execute(
        sa.select(_AUDIT.c.id, _AUDIT.c.actor).where(
            _AUDIT.c.action.in_(("login_failed", "login_limited")),
            sa.or_(*(_AUDIT.c.actor.contains(sign, autoescape=True) for sign in _AT_SIGNS)),
        )
    ).all()
    for entry_id, actor in tried:
        # The name was cut to the column's 100 characters when written; «[address]» can be
        # longer than the address it stands for, and is cut the same way.
        if (redacted := tried_name(actor)[:_ACTOR_LIMIT]) != actor:
            bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == entry_id).values(actor=redacted))
