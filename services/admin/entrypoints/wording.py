"""Messages the staff routes choose in code: refusals, series labels, digest states.

Routes and handlers name these by key (``"bad_form"``, ``"login_failed"``, ``"daily"``); the
templates translate ``messages[key]`` with ``_()``, the charts with the page's translator. Each
is an English source text marked with ``N_`` so ``make messages`` extracts it into the
``admin`` catalogues.
"""

from __future__ import annotations

from typing import Final

from services.admin.entrypoints.character_wording import CHARACTER_MESSAGES
from services.admin.entrypoints.site_wording import SITE_MESSAGES
from shared.i18n.translator import N_

MESSAGES: Final[dict[str, str]] = {
    # Refusals (authentication.SignIn.refused and the routes).
    "login_failed": N_("Wrong user name or password."),
    "login_limited": N_(
        "Too many failed attempts. Wait a little before you try again: "
        "each failure makes the wait longer."
    ),
    "bad_form": N_("The form had expired. Please try again."),
    # A choice no button of the page makes (a crafted or outdated form): not an expired form.
    "unknown_choice": N_("The form asked for a choice this page does not offer. Choose again."),
    # Why a browser was sent to sign in again (the minutes are VARSEL_ADMIN_IDLE_MINUTES, the
    # hours accounts.SESSION_TTL).
    "session_idle": N_(
        "You were signed out after %(minutes)s minutes without use. Sign in again to go on."
    ),
    "session_expired": N_(
        "You were signed out: a sign-in lasts at most 8 hours. Sign in again to go on."
    ),
    "null_character": N_(
        "A field holds a null character, which cannot be saved. Remove it and try again."
    ),
    # Answers no route gives itself, when no public pages run here (shared/web/errors.py).
    "page_not_found": N_("There is no page at this address."),
    "wrong_method": N_("This page cannot be opened that way. Go back and try again."),
    "body_too_large": N_("What was sent is larger than the staff side accepts. Shorten it."),
    "database_unreachable": N_(
        "The database cannot be reached just now, and nothing was saved. Try again in a minute."
    ),
    "unreadable_form": N_(
        "What was sent holds more fields than a form has, or is not a form that can be read. "
        "Go back, open the page again and send the form from there."
    ),
    # Changing one's password (the length is accounts.MIN_PASSWORD).
    "password_rule": N_(
        "At least 12 characters, and hard to guess: four or more words that do not belong "
        "together are a good password."
    ),
    "password_short": N_("The new password is shorter than 12 characters."),
    "password_long": N_(
        "The new password is longer than 1,000 characters, more than the sign-in form takes."
    ),
    "password_weak": N_(
        "The new password is too easy to guess: it is a common password, or made of words, "
        "names, dates, repeats or keyboard patterns that are tried early. Choose another."
    ),
    "password_mismatch": N_("The two new passwords are not the same."),
    "password_changed": N_(
        "Your password is changed. Other browsers signed in as you have been signed out."
    ),
    "invalid_address": N_("This is not a valid email address."),
    # As sign-up says it (VARSEL_SMTP_UTF8 off: the relay takes no such address).
    "address_not_ascii": N_(
        "The part before the @ cannot contain letters such as æ, ø or å: the mail server varsel "
        "sends through does not take such addresses, so no mail to it would arrive. "
        "Use another address."
    ),
    "no_such_user": N_("There is no such account."),
    "email_saved": N_("The email address is saved."),
    # The bulletin editor (domain.bulletin_draft's refusals, the page's outcomes).
    "bulletin_no_topics": N_("Choose at least one topic."),
    "bulletin_unknown_topic": N_("A chosen topic is not in the catalogue."),
    "bulletin_no_mode": N_("Choose when the bulletin is sent."),
    "bulletin_missing_text": N_(
        "Write a subject and a message in bokmål and English (and both or neither in nynorsk)."
    ),
    # The limits are shared.events.BULLETIN_SUBJECT_MAX and BULLETIN_BODY_MAX.
    "bulletin_subject_too_long": N_(
        "The subject is too long: it may hold at most 200 characters. Nothing was sent."
    ),
    "bulletin_body_too_long": N_(
        "The message is too long: it may hold at most 20,000 characters. Nothing was sent."
    ),
    "bulletin_bad_link": N_(
        "A link in the message leads nowhere from a mail: write each link as a whole address "
        "starting with https:// (mailto: for an email address, tel: for a telephone number). "
        "Nothing was sent."
    ),
    "bulletin_no_own_address": N_(
        "Your account has no email address to send a test to. "
        "An operator can add one on the accounts page."
    ),
    "bulletin_already_sent": N_("This bulletin has been sent already."),
    # What became of a test, once the page has waited a moment for the mail server.
    "bulletin_test_sent": N_(
        "The test was sent to your address, one mail per language. "
        "The form is kept so you can send the bulletin next."
    ),
    "bulletin_test_waiting": N_(
        "The test is queued but not sent yet: the mail server has not taken it. It goes as "
        "soon as the server answers. «Your latest tests» below says what became of it."
    ),
    "bulletin_test_failed": N_(
        "The test could not be sent. «Your latest tests» below says why. The form is kept."
    ),
    # A test mail's state in «Your latest tests» (mailer.read_api.TestMailState).
    "test_waiting": N_("Waiting to be sent"),
    "test_sent": N_("Sent"),
    "test_failed": N_("Failed"),
    "test_not_sent": N_("Not sent: the account has no address now"),
    "test_language_nb": N_("Bokmål"),
    "test_language_nn": N_("Nynorsk"),
    "test_language_en": N_("English"),
    "bulletin_sent": N_("The bulletin is sent. The mails go out now."),
    "bulletin_mode_next": N_("With the next mails"),
    "bulletin_mode_urgent": N_("Urgent, to everyone at once"),
    "forbidden": N_("You do not have access to this page."),
    "not_found": N_("Page not found."),
    "source_not_found": N_("No such source."),
    "source_taken": N_("A source in the catalogue has this address already:"),
    # Publisher tokens (publisher_pages).
    "token_name": N_("Give the token a name of at most 100 characters."),
    **SITE_MESSAGES,
    **CHARACTER_MESSAGES,
    "token_not_found": N_("No such live token: it may have been revoked already."),
    "token_issued": N_(
        "The token is issued. Copy it now and store it in the publishing system: varsel "
        "keeps no copy of it, and the list of tokens never shows it."
    ),
    "token_revoked": N_("The token is revoked. Pushes with it are refused from now on."),
    "token_form_spent": N_(
        "This form issued a token already, and that token has since been revoked, so nothing "
        "was issued. To issue a new one, use the form below."
    ),
    "snapshot_not_found": N_("One of the snapshots does not exist for this source."),
    "bad_snapshot_ids": N_("Choose two snapshots."),
    "bad_filter": N_("The filter cannot be used: choose the topic and action from the lists."),
    "bad_date": N_("Dates are written YYYY-MM-DD; the last one that can be used is 9999-12-30."),
    "dates_reversed": N_(
        "The first date is after the last one, so nothing can match: swap them, or change one."
    ),
    "bad_cursor": N_("The link to this page is not one we made. Start from the first page."),
    "bad_source_id": N_("That is not a source number."),
    # "Test this source": why nothing could be shown (watcher.trial's reasons).
    "bad_url": N_(
        "Write a whole web address that starts with https:// or http://, with a port from 1 to "
        "65535 if it names one."
    ),
    "bad_host": N_(
        "The address names no host a request can reach. A host name is words of letters, "
        "digits and hyphens between single dots, such as www.example.no; an IP address is "
        "written in full, such as 192.0.2.10."
    ),
    "url_credentials": N_(
        "Leave the name and password out of the address (user:password@): they would stand in "
        "alerts, logs and the audit log for anyone who reads them."
    ),
    "bad_kind": N_("Choose whether the source is a page, a feed or a PDF."),
    "bad_selector": N_("The CSS selector cannot be read. Check its spelling."),
    "selector_nothing": N_(
        "The CSS selector matched nothing on the page. Check it against the page's HTML."
    ),
    "bad_ignore": N_(
        "An ignore pattern is not a valid regular expression (at most 50, one per line)."
    ),
    "slow_ignore": N_(
        "An ignore pattern took too long on this source's text, so varsel cannot read the "
        "source with it. Simplify the pattern: repeats inside repeats, such as (a|aa)+, can "
        "take years on a long line."
    ),
    "refused": N_(
        "varsel does not fetch this address: it points to a private or internal network."
    ),
    "unreachable": N_("The source could not be reached. Check the address and try again later."),
    "http_status": N_("The source answered with an error instead of the content."),
    "another_site": N_(
        "The address leads to another site, whose text would not be sent: if the page moved "
        "there, use its new address."
    ),
    "too_large": N_("The source is larger than varsel fetches."),
    "unreadable": N_(
        "varsel could not read any content there. Check that the kind is right, "
        "or choose a selector."
    ),
    "catalogue_refused": N_("The catalogue was not changed: the change has a problem."),
    # The source form (domain.source_form): each beside its field.
    "topics_missing": N_("Choose one or more topics the source feeds."),
    "topics_unknown": N_("Choose the source's topics from the list."),
    "bad_mode": N_("Choose whether changes go out at once or wait for an editor."),
    "bad_interval": N_(
        "Write the interval as a number and a unit, for example 30s, 15m, 1h or 1d."
    ),
    "interval_too_long": N_("Poll the source at least once a year: at most 365d."),
    "source_changed_meanwhile": N_(
        "Another editor saved this source while you were editing it, and nothing of yours was "
        "saved. The form now shows the source as they saved it: make your change again."
    ),
    # The topic form (domain.topic_form, domain.topic_edits): each beside its field.
    "topic_not_found": N_("No such topic people can follow."),
    # Saved or ended on a form opened before another editor (or a file) ended the topic.
    "topic_ended_by": N_(
        "This topic was ended by %(actor)s at %(time)s. An ended topic cannot be changed, so "
        "nothing of yours was saved."
    ),
    "topic_ended": N_(
        "This topic was ended at %(time)s. An ended topic cannot be changed, so nothing of "
        "yours was saved."
    ),
    "topic_changed_meanwhile": N_(
        "Another editor saved this topic while you were editing it, and nothing of yours was "
        "saved. The form now shows the topic as they saved it: make your change again."
    ),
    "slug_missing": N_("Write the short name the sign-up page's address ends with."),
    "slug_shape": N_(
        "The short name may hold only lower-case letters a–z, digits and single hyphens "
        "between them, at most 100 characters."
    ),
    "slug_taken": N_(
        "A topic has this short name already, or had it before it ended. Choose another."
    ),
    "title_nb_missing": N_("Write the title in bokmål: the other languages fall back to it."),
    "section_nb_missing": N_(
        "Write the section in bokmål too: the other languages fall back to it."
    ),
    "description_nb_missing": N_(
        "Write the description in bokmål too: the other languages fall back to it."
    ),
    "title_too_long": N_("A title may be at most 200 characters."),
    "section_too_long": N_("A section may be at most 200 characters."),
    "description_too_long": N_("A description may be at most 500 characters."),
    "one_line": N_("Write this on one line, without control characters."),
    "description_controls": N_(
        "Write the description without control characters; line breaks are fine."
    ),
    "related_unknown": N_("Choose related topics from the list; a topic is not related to itself."),
    "related_too_many": N_("Choose at most %(limit)s related topics."),
    "editors_unknown": N_(
        "Name only editor or operator accounts, by their user names, apart by commas."
    ),
    "editors_unknown_named": N_(
        "No editor or operator account has these names: %(names)s. Name only editor or "
        "operator accounts, by their user names, apart by commas."
    ),
    "editors_address": N_("Name accounts by their user names, not by email addresses."),
    "successor_unknown": N_("Choose what to follow instead from the list, or nothing."),
    "confirm_retire": N_("Tick the box to confirm that the topic ends and its followers are told."),
    "sources_feed_only_this": N_(
        "Sources feed only this topic. Remove them, or give them another topic, first:"
    ),
    # Kinds of mail (mailer.read_api.PREVIEW_KINDS).
    "mail_confirm": N_("Confirmation of a sign-up"),
    "mail_manage_link": N_("Link to manage one's alerts"),
    "mail_alert": N_("Alert about one change"),
    "mail_digest": N_("Digest of changes"),
    "mail_topic_ended": N_("Last mail of a topic that has ended"),
    "mail_page_removed": N_("Notice that a watched page was removed"),
    "mail_bulletin": N_("Bulletin from an editor"),
    "mail_operator_failing": N_("Notice to operators: a source fails"),
    "mail_operator_recovered": N_("Notice to operators: a source works again"),
    "mail_review_reminder": N_("Reminder to editors: a change waits for review"),
    # Review modes of a source (shared.vocabulary.ReviewMode).
    "mode_automatic": N_("At once, as detected"),
    "mode_review": N_("After an editor's review on the desk"),
    # The editor's desk: why a decision was not taken (mailer.command_api.ReviewRefused).
    "already_decided": N_(
        "Another editor decided on this change first. Here is what they decided; "
        "your decision was not taken."
    ),
    "decided_by_you": N_(
        "You decided on this change already: this form was sent again, from the browser's "
        "history or by a second press. Here is what you decided; this decision was not taken."
    ),
    "note_too_long": N_("The change note is longer than 5,000 characters."),
    "change_not_found": N_("No such change on the desk."),
    "source_removed": N_(
        "This change was withdrawn when its source was removed from the catalogue, so nobody "
        "will be alerted about it. Your decision was not taken."
    ),
    # Pages that disappeared (watcher.command_api.confirm_page_gone).
    "gone_not_waiting": N_(
        "This page is not waiting for confirmation: another editor confirmed it a moment ago, "
        "or it answers again. Nothing was sent."
    ),
    # What a change on the desk is (mailer.read_api.ChangeStatus) and what was done with it.
    "status_waiting": N_("Waiting for review"),
    "status_held": N_("Held"),
    "status_approved": N_("Approved and being sent"),
    "status_sent": N_("Approved and sent"),
    "status_minor": N_("Minor: nobody alerted"),
    "status_published": N_("Sent as detected"),
    "status_withdrawn": N_("Withdrawn: its source was removed"),
    # Source kinds (shared.vocabulary.SourceKind).
    "page": N_("Web page"),
    "feed": N_("Feed (RSS or Atom)"),
    "pdf": N_("PDF"),
    "missing_reason": N_("Write why: the reason is kept in the consent ledger and the audit log."),
    "reason_too_long": N_(
        "The reason may be at most %(limit)s characters. Shorten it: it is kept whole in the "
        "consent ledger and the audit log, never cut short. Nothing was changed."
    ),
    "reason_has_address": N_(
        "The reason must not contain an email address: the address is kept nowhere else."
    ),
    "person_not_found": N_(
        "No one with this address is subscribed, so nothing was changed. "
        "Their earlier history, if any, is under Consent."
    ),
    "already_erased": N_(
        "This address was erased already, at %(time)s, so nothing more was done. "
        "Its consent history is under Consent."
    ),
    # What the organisation did for a person (the erasure page).
    "unsubscribed_by_organisation": N_(
        "Every alert to this address has ended. The address is kept until the person or you "
        "erase it, or until the retention period for people without alerts runs out."
    ),
    "erased_by_organisation": N_(
        "The address is erased: every alert has ended and the address is deleted. "
        "The consent ledger keeps the history under the keyed code."
    ),
    # Digest rhythms and runs on the operations page.
    "immediate": N_("Immediately"),
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
    "running": N_("running"),
    "done": N_("done"),
    # A source's health on the operations page (the watcher's Health, or flapping or rotating:
    # SourceStatus).
    "source_new": N_("not yet read"),
    "source_ok": N_("working"),
    "source_failing": N_("failing"),
    "source_flapping": N_("flipping between versions (nobody is alerted when it goes back)"),
    "source_rotating": N_(
        "rotating through more versions than five (nobody is alerted when one comes back, but"
        " every version not seen lately is told): add an ignore pattern for the part that"
        " rotates, or a CSS selector for the part that stays"
    ),
    # Series of the consent chart (subscriptions' DAILY_SERIES) and the mail chart.
    "requested": N_("Sign-ups"),
    "confirmed": N_("Confirmations"),
    "unsubscribed": N_("Unsubscribes"),
    "sent": N_("Sent"),
    "queued": N_("Queued"),
    "retried": N_("Retried"),
    "failed": N_("Failed"),
}
# A change's topic on the desk that ended while the change waited.
ENDED_TOPIC: Final = N_("%(title)s (ended)")
PER_DAY: Final = N_("Per day (UTC), last 30 days")
CONSENT_CHART: Final = N_(
    "Line chart of sign-ups, confirmations and unsubscribes per day. "
    "The numbers are also in the table below."
)
MAIL_PER_DAY: Final = N_("Mail per day")
MAIL_CHART: Final = N_(
    "Line chart of mail sent, queued, retried and failed per day, by the day the mail was made. "
    "The numbers are also in the table below."
)
