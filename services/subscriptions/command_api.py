"""The commands the subscriptions service takes from the organisation's staff (the admin).

The admin reads this service through ``read_api`` and acts through here: ending a person's
alerts or erasing them when they ask by letter or phone. Each runs the service's own handler
in the service's own unit of work, so the rows change only by this service's code and the
ledger records the step as every other step is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.privacy_notice_files import load_notices
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.domain.addresses import InvalidAddress
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.organisation import (
    MAX_REASON,
    Done,
    OrganisationAction,
    act_for_person,
)
from shared.db import scrub_deleted
from shared.runtime import Runtime

__all__ = ["MAX_REASON", "Done", "InvalidAddress", "OrganisationAction", "act_for_organisation"]


async def act_for_organisation(
    runtime: Runtime,
    address: str,
    action: OrganisationAction,
    *,
    reason: str,
    actor: str,
    audit: Callable[[AsyncSession, Done], None],
) -> Done:
    """End every alert of (or erase) a person, as ``actor`` in the organisation, for ``reason``.

    ``audit`` writes the admin's audit entry of what was done in the same transaction, so no
    erasure is kept without it. Raises InvalidAddress for an address sign-up would refuse,
    ValueError for an empty reason.
    """
    uow = SqlUnitOfWork(
        runtime.sessions,
        on_commit=runtime.relay.wake,
        after_erasure=partial(scrub_deleted, runtime.engine),
    )
    # Read each time: a staff command is rare, and the ledger must name the text in force now.
    notices = load_notices(runtime.settings.privacy_notice_dir)
    deps = Deps(runtime.settings, runtime.catalogue, runtime.signer, runtime.clock, notices)
    return await act_for_person(
        uow,
        deps,
        address,
        action,
        reason=reason,
        actor=actor,
        before_commit=lambda done: audit(uow.session, done),
    )
