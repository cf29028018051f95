"""Commands the organisation gives: end a person's alerts or erase them when they ask by letter or
phone, and erase the people whose alerts all ended long ago (retention).

The person's own links are not involved, so these find the person by address (or by how long
they have had no alerts) and record in the ledger that the organisation acted, who and why.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from services.subscriptions.domain.addresses import normalise_address
from services.subscriptions.domain.vocabulary import Channel, UnsubscribeRoute
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_alerts import end_all, erase_person
from services.subscriptions.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The longest reason kept in the ledger and the audit log; a longer one is refused, never cut
# short, so the ledger and the audit log keep the same words.
MAX_REASON = 500


class OrganisationAction(StrEnum):
    """What the organisation does for a person who asked."""

    UNSUBSCRIBE = "unsubscribe"
    ERASE = "erase"


@dataclass(frozen=True, slots=True)
class Done:
    """What an organisation's command did: the ledger's code for the person, and what ended."""

    subject: str
    found: bool
    ended: tuple[str, ...]


async def act_for_person(
    uow: UnitOfWork,
    deps: Deps,
    raw_address: str,
    action: OrganisationAction,
    *,
    reason: str,
    actor: str,
    before_commit: Callable[[Done], None],
) -> Done:
    """End every alert of (or erase) the person with an address, as the organisation.

    Raises InvalidAddress for an address sign-up would refuse, and ValueError for an empty
    reason or one longer than ``MAX_REASON`` characters, before anything is done. A person
    nobody holds is no error: ``found`` says so, and nothing is changed. ``before_commit`` is
    told what was done inside the transaction, so a record of it (the admin's audit entry) is
    kept exactly when the step is, also when nobody was found.
    """
    address = normalise_address(raw_address)
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a reason is required")
    if len(reason) > MAX_REASON:
        raise ValueError(f"the reason is longer than {MAX_REASON} characters")
    subject = deps.subject_hash(address)
    details = {"by": "organisation", "actor": actor, "reason": reason}
    async with uow:
        person = await uow.subscribers.by_address(address, lock=True)
        if person is None:
            done = Done(subject, found=False, ended=())
        elif action is OrganisationAction.ERASE:
            ended = await erase_person(uow, deps, person, UnsubscribeRoute.ADMIN, None, details)
            done = Done(subject, found=ended is not None, ended=ended or ())
        else:
            ended = await end_all(uow, deps, person, UnsubscribeRoute.ADMIN, details)
            done = Done(subject, found=True, ended=ended)
        before_commit(done)
        await uow.commit()
    return done


async def erase_lapsed(uow: UnitOfWork, deps: Deps, lapsed: list[uuid.UUID]) -> int:
    """Erase people whose alerts all ended long ago (found by retention); return how many.

    An address kept without any alert to send serves no purpose. Each is recorded in the ledger
    as erased by retention, in the unit of work's transaction.
    """
    erased = 0
    async with uow:
        for subscriber_id in lapsed:
            person = await uow.subscribers.get(subscriber_id, lock=True)
            if person is None:
                continue  # erased meanwhile
            details = {"by": "retention"}
            ended = await erase_person(
                uow, deps, person, UnsubscribeRoute.ADMIN, Channel.RETENTION, details
            )
            erased += ended is not None
        await uow.commit()
    if erased:
        log.info("subscriptions: erased %d people with no alerts left", erased)
    return erased
