"""How each step of a person's consent is written down for the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from services.subscriptions.domain.model import ConsentEntry
from services.subscriptions.domain.privacy import PrivacyNotice
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, UnsubscribeRoute
from shared.vocabulary import Frequency, Language

# Where a sign-up was given, as the ledger's ``page`` says it. Never the Referer header: varsel's
# pages send none (no-referrer), and a visitor's client may write anything into it.
SIGNUP_PAGE_PATH = "/subscribe/{slug}"
INDEX_PAGE_PATH = "/"  # the topic index, where one sign-up can name several topics
# The details of an ending or erasure pressed on a page whose form named no privacy notice the
# service published (a page opened before forms named one, a forged post) say ``false`` here:
# the step names the notice in force in the person's language, which the page did not show.
NOTICE_SHOWN: Final = "notice_shown"


def signup_page(base_url: str, slug: str) -> str:
    """Return where a sign-up on varsel's own page for a topic was given: that page's address."""
    return base_url + SIGNUP_PAGE_PATH.format(slug=slug)


def index_page(base_url: str) -> str:
    """Return where a sign-up on the topic index was given: the index's address."""
    return base_url + INDEX_PAGE_PATH


def api_page(client: str | None) -> str:
    """Return where a sign-up through the JSON API was given: ``api:`` and the integration."""
    return f"api:{client}" if client else "api"


def consent_entry(
    *,
    subject_hash: str,
    action: ConsentAction,
    topics: Iterable[str],
    channel: Channel,
    occurred_at: datetime,
    notice: PrivacyNotice,
    frequency: Frequency | None = None,
    language: Language | None = None,
    page: str | None = None,
    token_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> ConsentEntry:
    """Return a ledger entry under ``notice``, the privacy notice in force in its language.

    Its topics are a set, each named once in order, whatever the caller passed: a consent to
    a topic is one consent, however often a form or request repeated it.
    """
    return ConsentEntry(
        subject_hash=subject_hash,
        action=action,
        topics=tuple(sorted(set(topics))),
        frequency=frequency,
        language=language,
        privacy_version=notice.version,
        privacy_hash=notice.sha256,
        page=page,
        channel=channel,
        token_id=token_id,
        occurred_at=occurred_at,
        details=details,
    )


def ending_entry(
    *,
    subject_hash: str,
    action: ConsentAction,
    topics: Iterable[str],
    route: UnsubscribeRoute,
    channel: Channel | None,
    occurred_at: datetime,
    language: Language,
    notice: PrivacyNotice,
    frequency: Frequency | None = None,
    details: dict[str, Any] | None = None,
) -> ConsentEntry:
    """Return the entry of an unsubscribe or erasure.

    It is recorded under the channel it came through if one is named (the API), else under its
    route; in the first case the details keep the route it stands for. ``details`` adds what
    else the step needs said (who in the organisation acted, and why).
    """
    noted = {"route": route.value} if channel is not None else {}
    noted.update(details or {})
    return consent_entry(
        subject_hash=subject_hash,
        action=action,
        topics=topics,
        channel=channel if channel is not None else Channel.of_route(route),
        occurred_at=occurred_at,
        notice=notice,
        frequency=frequency,
        language=language,
        details=noted or None,
    )
