"""Messages the routes choose in code: form errors and what the JSON API answers.

Each is an English source text marked with ``N_`` so ``make messages`` extracts it into the
``pages`` catalogues; pages translate it with ``_()`` (the names in ``TEMPLATE_GLOBALS``), the
API with the caller's translator. Words that only a template shows stay in the template.
"""

from __future__ import annotations

import math
from typing import Final

from shared.i18n.translator import N_, Translator

# Why an address was refused, by the reason the domain gives (``InvalidAddress.reason``).
ADDRESS_PROBLEMS: Final[dict[str, str]] = {
    "error_email_missing": N_("Enter your email address."),
    "error_email_invalid": N_("Enter a valid email address, for example name@example.com."),
    "error_email_local_too_long": N_(
        "The part before the @ can be at most 64 characters long. Check the address."
    ),
    "error_email_local_not_ascii": N_(
        "The part before the @ cannot contain letters such as æ, ø or å: our emails cannot be "
        "delivered to such an address. Use another address."
    ),
    "error_email_encoded": N_(
        "Write the address as your email program shows it, without encoding such as =?utf-8?…?=."
    ),
}
FORM_TOO_OLD: Final = N_("The form was too old. Please send it again.")
FORM_NOT_VALID: Final = N_("The form could not be checked. Please send it again.")
# A form without a link token needs its CSRF cookie back; a browser that blocks cookies never
# sends it, and "too old" would have it send the form again and again to no end.
FORM_NEEDS_COOKIE: Final = N_(
    "Your browser did not send back the cookie that protects this form. Please send it again. "
    "If you see this message again, your browser blocks cookies: allow them for this site. We "
    "set only this one cookie, and your browser deletes it when you close it."
)
CHOOSE_FREQUENCY: Final = N_("Choose how often you want alerts.")
CHOOSE_TOPICS: Final = N_("Choose at least one topic.")
TOPIC_NOT_OFFERED: Final = N_(
    "A topic you chose is no longer offered. Check your choice and send the form again."
)
CHANGED_MEANWHILE: Final = N_(
    "Your alerts were changed in another window or by a link in an email after this page was "
    "opened. Any alert you unticked has ended; nothing else was saved. Check your choices below, "
    "which now include that change, and save again."
)
NOTICE_CHANGED: Final = N_(
    "The privacy notice changed after this page was opened. Read the notice in force now (the "
    "link below), and press the button again if you still want the alerts."
)

CHECK_EMAIL: Final = N_(
    "If the address can receive alerts, we have sent it an email with a link you must follow to "
    "confirm. The link works for %(days)s days. Without confirmation we send nothing, and the "
    "sign-up is deleted."
)
MANAGE_LINK_SENT: Final = N_(
    "If the address gets alerts from us, we have sent it a link. Check your email."
)
RATE_LIMITED: Final = N_(
    "We have received many requests for this address or from this computer. To prevent abuse "
    "you need to wait a while."
)
ERASED_BODY: Final = N_(
    "We have deleted your email address, all your alerts and everything waiting to be sent to "
    "you. You will get no more email from us."
)
ERASED_KEPT: Final = N_(
    "What we keep: a log that you signed up and ended your alerts, with which topics, when, and "
    "which privacy notice you were shown. The log does not show your email address, only a keyed "
    "code made from it. We must be able to document that we had consent, and the log is deleted "
    "when its retention period ends."
)

# What the page templates may name: they translate these with ``_()``.
TEMPLATE_GLOBALS: Final[dict[str, str]] = {
    "CHECK_EMAIL": CHECK_EMAIL,
    "MANAGE_LINK_SENT": MANAGE_LINK_SENT,
    "ERASED_BODY": ERASED_BODY,
    "ERASED_KEPT": ERASED_KEPT,
}


_HOURS_FROM = 2 * 3600  # seconds of a wait past which it is said in hours


def rate_limited(words: Translator, retry_after: str) -> str:
    """Return the refusal of a request over a limit, with the wait its Retry-After gives.

    The counts run in fixed windows of an hour, or of a day for an address's daily limit
    (shared/web/rate_limit.py): the wait is what is left of the window, often a few minutes,
    never "an hour" whatever it is. A wait of more than two hours (the day's limit) is said in
    whole hours, rounded up as the minutes are: "in 510 minutes" asks the reader to divide.
    """
    seconds = int(retry_after)
    if seconds > _HOURS_FROM:
        wait = words.ngettext(
            "Please try again in %(num)d hour.",
            "Please try again in %(num)d hours.",
            math.ceil(seconds / 3600),
        )
    else:
        wait = words.ngettext(
            "Please try again in %(num)d minute.",
            "Please try again in %(num)d minutes.",
            max(1, math.ceil(seconds / 60)),
        )
    return " ".join((words.gettext(RATE_LIMITED), wait))
