"""Commands of the subscriptions service: each takes plain values and owns its unit of work.

A handler begins the transaction, applies the rules of ``domain/``, commits (which wakes the
outbox relay) and answers with a plain value; routes and consumers only parse and render.
``signup`` holds the commands of signing up and confirming; the links in mails name their person
by ``link_holders``, and ``preferences`` holds the commands of the manage link, ``ending_alerts``
those that end alerts (unsubscribe, erase); ``returned_mail`` those of bounces and complaints.
"""

from services.subscriptions.domain.model import (
    ChangedMeanwhile,
    NoticeNotShown,
    PageShown,
    ShownChoices,
    ShownNotice,
)
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_alerts import Ended, erase, unsubscribe
from services.subscriptions.handlers.link_holders import EITHER_LINK, erased_holder
from services.subscriptions.handlers.preferences import preferences, update_preferences
from services.subscriptions.handlers.returned_mail import record_bounce, record_complaint
from services.subscriptions.handlers.signup import (
    AlreadyConfirmed,
    Confirmed,
    NoticeChanged,
    Pending,
    TopicsEnded,
    TopicsNotShown,
    already_confirmed,
    confirm,
    pending_confirmation,
    request_manage_link,
    retry_at,
    sign_up,
)

__all__ = [
    "EITHER_LINK",
    "AlreadyConfirmed",
    "ChangedMeanwhile",
    "Confirmed",
    "Deps",
    "Ended",
    "NoticeChanged",
    "NoticeNotShown",
    "PageShown",
    "Pending",
    "ShownChoices",
    "ShownNotice",
    "TopicsEnded",
    "TopicsNotShown",
    "already_confirmed",
    "confirm",
    "erase",
    "erased_holder",
    "pending_confirmation",
    "preferences",
    "record_bounce",
    "record_complaint",
    "request_manage_link",
    "retry_at",
    "sign_up",
    "unsubscribe",
    "update_preferences",
]
