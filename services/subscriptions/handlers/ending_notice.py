"""Which privacy notice, in which language, an ending of alerts or an erasure is recorded under.

Withdrawing consent must be as easy as giving it (GDPR art. 7(3)): whatever notice a page
showed, a press of its button ends the alerts or erases the address at once, and the ledger
says as truthfully as it can what the person read. A form that names a notice the service
published (the one in force or one before it, as on a page opened before the text changed) is
recorded under exactly that version and language. A form that names none, or one never
published, is recorded under the notice in force in the person's own language, with
``notice_shown: false`` in its details: the ledger invents no notice the person did not see.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from services.subscriptions.domain.consent import NOTICE_SHOWN
from services.subscriptions.domain.model import PageShown, Subscriber
from services.subscriptions.domain.privacy import PrivacyNotice
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.unit_of_work import UnitOfWork
from shared.vocabulary import Language


@dataclass(frozen=True, slots=True)
class UnderNotice:
    """The notice and language a step is recorded under, and what its details add."""

    notice: PrivacyNotice
    language: Language
    details: dict[str, Any] | None = None


def in_force(deps: Deps, person: Subscriber) -> UnderNotice:
    """Return the notice in force in the person's language: a step no page was shown for."""
    return UnderNotice(deps.notices.current(person.language), person.language)


async def under_notice(
    uow: UnitOfWork, deps: Deps, person: Subscriber, page: PageShown | None
) -> UnderNotice:
    """Return what an ending pressed on ``page`` (None: no page, as one-click) is recorded under."""
    if page is None:
        return in_force(deps, person)
    shown = page.shown
    if shown is not None:
        current = deps.notices.current(shown.language)
        if current.version == shown.version:
            return UnderNotice(current, shown.language)
        # Published before the one in force: the page was opened before the text changed.
        published = await uow.notices.get(shown.version, shown.language)
        if published is not None:
            return UnderNotice(published, shown.language)
    return replace(in_force(deps, person), details={NOTICE_SHOWN: False})
