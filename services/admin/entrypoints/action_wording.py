"""The words the staff pages show for the codes the consent ledger and the audit log store:
a step's action, channel and frequency, and what staff did.

The codes stay what the CSV export, the JSON API and the command line give, so a reader's
scripts and filters keep working; a page shows each in the reader's language instead. A code
that has no words here (one a later release records, read by an older one) is shown as it is.
Each is an English source text marked with ``N_`` so ``make messages`` extracts it into the
``admin`` catalogues; the templates translate it with ``_()``.
"""

from __future__ import annotations

from typing import Final

from shared.i18n.translator import N_
from shared.vocabulary import Frequency, Language

# A person's steps in the consent ledger (subscriptions' read_api.LEDGER_ACTIONS).
LEDGER_ACTIONS: Final[dict[str, str]] = {
    "requested": N_("Signed up, not yet confirmed"),
    "confirmed": N_("Confirmed the sign-up"),
    "preferences_changed": N_("Changed their choices"),
    "unsubscribed": N_("Ended alerts"),
    "erased": N_("Address erased"),
}

# Where a step came from (subscriptions' read_api.LEDGER_CHANNELS).
LEDGER_CHANNELS: Final[dict[str, str]] = {
    "web": N_("A sign-up form"),
    "api": N_("An integration, through the API"),
    "email-link": N_("The link in the confirmation mail"),
    "link": N_("The unsubscribe link in a mail"),
    "one-click": N_("One click in the mail program"),
    "manage-page": N_("The person's manage page"),
    "bounce": N_("Mail to the address bounced"),
    "admin": N_("Staff, for the organisation"),
    "complaint": N_("A spam complaint from the mail provider"),
    "retention": N_("The retention period ran out"),
}

# The details a step records, named on the ledger page (the CSV and the API keep the keys): a
# key with no words here (one a later release records) is shown as its code.
LEDGER_DETAILS: Final[dict[str, str]] = {
    "notice_shown": N_("Privacy notice"),
    "actor": N_("Who"),
    "reason": N_("Reason"),
    "by": N_("By"),
    # The way an unsubscribe recorded under the API's channel stands for (a channel's code).
    "route": N_("Ended through"),
}

# A detail's value in words, by key and value; other values are shown as they are stored
# («route» is a channel's code, in LEDGER_CHANNELS' words).
LEDGER_DETAIL_VALUES: Final[dict[tuple[str, str], str]] = {
    ("notice_shown", "false"): N_("not shown on the page"),
    ("by", "organisation"): N_("Staff, for the organisation"),
    ("by", "retention"): N_("The retention period ran out"),
    **{("route", code): words for code, words in LEDGER_CHANNELS.items()},
}

# How often the person chose to hear, as a step records it (shared.vocabulary.Frequency).
FREQUENCIES: Final[dict[str, str]] = {
    Frequency.IMMEDIATE.value: N_("Immediately"),
    Frequency.DAILY.value: N_("Daily"),
    Frequency.WEEKLY.value: N_("Weekly"),
}

# The language a person chose for their alerts and read their privacy notice in, named in the
# page's language: a reader of the consent page reads «engelsk», not «en».
LANGUAGE_NAMES: Final[dict[str, str]] = {
    Language.NB.value: N_("Norwegian bokmål"),
    Language.NN.value: N_("Norwegian nynorsk"),
    Language.EN.value: N_("English"),
}

# What staff, the command line and the scheduler did (the admin's audit log).
AUDIT_ACTIONS: Final[dict[str, str]] = {
    # Signing in and out.
    "login": N_("Signed in"),
    "login_failed": N_("Sign-in failed"),
    "login_limited": N_("Sign-in refused after too many failures"),
    "logout": N_("Signed out"),
    "access_denied": N_("Refused a page the role does not give"),
    # Reading personal data and the logs.
    "consent_lookup": N_("Looked up a person's consent"),
    "consent_export": N_("Downloaded what is held about a person"),
    "privacy_notice_read": N_("Read a privacy notice"),
    "ledger_read": N_("Read the consent ledger"),
    "ledger_export": N_("Downloaded the consent ledger"),
    "ledger_export_failed": N_("Began exporting the consent ledger; the output was cut short"),
    "topic_stats_read": N_("Read a topic's numbers"),
    "audit_read": N_("Read the audit log"),
    "operations_read": N_("Read the operations page"),
    "snapshot_diff_read": N_("Compared two snapshots of a source"),
    # Acting for a person (erasure_pages: organisation_<OrganisationAction>).
    "organisation_unsubscribe": N_("Ended a person's alerts on their request"),
    "organisation_erase": N_("Erased a person's address on their request"),
    # The catalogue, the desk, gone pages and bulletins.
    "catalogue_applied": N_("Changed the catalogue"),
    "source_tested": N_("Tested a source"),
    "change_approved": N_("Approved a change"),
    "change_held": N_("Held a change"),
    "change_minor": N_("Marked a change minor"),
    "change_withdrawn": N_("Withdrew a change: its source was removed"),
    "change_decision_refused": N_("A decision on a change was refused"),
    "page_gone_confirmed": N_("Confirmed that a page was removed"),
    "page_gone_refused": N_("A confirmation that a page was removed was refused"),
    "bulletin_sent": N_("Sent a bulletin"),
    "bulletin_tested": N_("Sent a test of a bulletin"),
    # Publishers (a CMS) and their tokens.
    "change_pushed": N_("A publisher pushed a change"),
    "source_check_requested": N_("A publisher asked for a source to be checked now"),
    "publisher_scope_refused": N_("Refused a publisher: a page or source not on its token's sites"),
    "publisher_token_issued": N_("Issued a publisher token"),
    "publisher_token_revoked": N_("Revoked a publisher token"),
    "publisher_tokens_listed": N_("Listed the publisher tokens"),
    # Accounts and API tokens.
    "users_listed": N_("Listed the accounts"),
    "user_created": N_("Created an account"),
    "user_renamed": N_("Renamed an account"),
    "role_changed": N_("Changed an account's role"),
    "user_email_set": N_("Set an account's email address"),
    "user_disabled": N_("Disabled an account"),
    "user_enabled": N_("Enabled an account"),
    "password_changed": N_("Changed a password"),
    "token_created": N_("Issued an API token"),
    "token_revoked": N_("Revoked an API token"),
    # Housekeeping.
    "retention_run": N_("Deleted what was past its retention period"),
}
