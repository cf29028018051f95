"""The words only the subscriptions service uses: a person's status, consent steps and channels.

String enums like those in ``shared.vocabulary``: each compares equal to the text stored in the
database (and, for routes, carried in ``subscriber.unsubscribed.v1``), so code names a value
instead of spelling it.
"""

from __future__ import annotations

from enum import StrEnum


class SubscriberStatus(StrEnum):
    """Where a person stands: waiting for confirmation, getting alerts, or refused by their mail."""

    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"


class ConsentAction(StrEnum):
    """One step of a person's consent history, as the ledger records it."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    PREFERENCES_CHANGED = "preferences_changed"
    UNSUBSCRIBED = "unsubscribed"
    ERASED = "erased"


class UnsubscribeRoute(StrEnum):
    """How alerts ended: stored as a subscription's ``ended_reason`` and sent in the event."""

    LINK = "link"
    ONE_CLICK = "one-click"
    MANAGE_PAGE = "manage-page"
    BOUNCE = "bounce"
    ADMIN = "admin"
    COMPLAINT = "complaint"  # the person's mailbox provider reported a mail as spam (ARF)


class Channel(StrEnum):
    """Where a consent step came from, as the ledger records it."""

    WEB = "web"
    API = "api"
    EMAIL_LINK = "email-link"
    LINK = UnsubscribeRoute.LINK.value
    ONE_CLICK = UnsubscribeRoute.ONE_CLICK.value
    MANAGE_PAGE = UnsubscribeRoute.MANAGE_PAGE.value
    BOUNCE = UnsubscribeRoute.BOUNCE.value
    ADMIN = UnsubscribeRoute.ADMIN.value
    COMPLAINT = UnsubscribeRoute.COMPLAINT.value
    RETENTION = "retention"

    @classmethod
    def of_route(cls, route: UnsubscribeRoute) -> Channel:
        """Return the channel that names the same way an unsubscribe came in."""
        return cls(route.value)
