"""Whom a link in a mail names: the confirmed person its token is genuine and current for."""

from __future__ import annotations

import uuid

from services.subscriptions.domain.model import Subscriber
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.unit_of_work import UnitOfWork
from shared.tokens import Purpose

# A manage token may do what an unsubscribe token does; the JSON API accepts either.
EITHER_LINK: tuple[Purpose, ...] = ("unsubscribe", "manage")


def _max_age_days(deps: Deps, purpose: Purpose) -> int | None:
    """Return how long a link of this purpose works, in days (None: while its person exists).

    Every mail promises that the alerts can be ended at any time, so the unsubscribe and
    one-click links never expire; they stop only when the person is erased, which ends every
    link. Manage links, which can also change what a person gets, expire.
    """
    return None if purpose == "unsubscribe" else deps.settings.link_ttl_days


def _subjects(deps: Deps, token: str, purposes: tuple[Purpose, ...]) -> list[uuid.UUID]:
    """Return whom a link token names, once for each purpose it is genuine and current for."""
    now = deps.clock.now()
    found = []
    for purpose in purposes:
        claims = deps.signer.verify(
            purpose, token, now=now, max_age_days=_max_age_days(deps, purpose)
        )
        if claims is not None:
            found.append(claims.subject)
    return found


async def link_holder(
    uow: UnitOfWork,
    deps: Deps,
    token: str,
    purposes: tuple[Purpose, ...],
    *,
    lock: bool = False,
) -> Subscriber | None:
    """Return the confirmed person a link token names, trying each purpose it may carry
    (``lock``: held until the transaction ends, so a second press of the same button waits
    for the first and sees what it did).

    Whatever changes a person's alerts takes this lock before it touches one: a save and an
    erasure that took the person and the alert in opposite orders would each wait for the
    other, and PostgreSQL would abort one of them (the person would read an error page).
    """
    for subject in _subjects(deps, token, purposes):
        person = await uow.subscribers.get(subject, lock=lock)
        if person is not None and person.confirmed:
            return person
    return None


async def erased_holder(
    uow: UnitOfWork, deps: Deps, token: str, purposes: tuple[Purpose, ...]
) -> bool:
    """Tell whether a genuine link names a person who is no longer here (erased).

    Such a link has nothing left to end; the page says so rather than calling the link broken.
    """
    subjects = _subjects(deps, token, purposes)
    if not subjects:
        return False
    async with uow:
        for subject in subjects:
            if await uow.subscribers.get(subject) is not None:
                return False
    return True
