"""Why a source's polls fail, worded for editors: one message per kind of failure the watcher
reads back from its stored reason (watcher.read_api.Failure).

The templates translate ``failures[code]`` with ``_()`` and the values the reason names
(``%(status)s``, a heading ``%(said)s``); a reason of no known kind is shown as it was stored.
"""

from __future__ import annotations

from typing import Final

from services.watcher.read_api import Failure
from shared.i18n.translator import N_

FAILURES: Final[dict[str, str]] = {
    Failure.HTTP_STATUS: N_("The source answered with HTTP status %(status)s, not the content."),
    Failure.UNASKED_NOT_MODIFIED: N_(
        "The source answered «not modified» (HTTP 304) though varsel did not ask whether "
        "it was; a cache in front of it likely answers so to everything."
    ),
    Failure.TIMED_OUT: N_("The source took too long to answer."),
    Failure.NO_LOCATION: N_("The source sent a redirect without saying where to."),
    Failure.TOO_MANY_REDIRECTS: N_("The source sent more than %(count)s redirects in a row."),
    Failure.TOO_LARGE: N_("The source is larger than varsel fetches (at most %(limit)s bytes)."),
    Failure.REFUSED: N_(
        "varsel does not fetch this address: it points to a private or internal network."
    ),
    Failure.CANNOT_RESOLVE: N_("The host name %(host)s in the address was not found."),
    Failure.UNREACHABLE: N_("The source could not be reached."),
    Failure.CLOSED_EARLY: N_("The source closed the connection before it had answered in full."),
    Failure.BAD_ENCODING: N_(
        "The source sends a body marked as compressed with %(coding)s that is not."
    ),
    Failure.UNASKED_COMPRESSION: N_(
        "The source sends a body compressed with %(coding)s, which varsel does not ask for."
    ),
    Failure.BROKEN_BODY: N_("The source's answer broke off or was damaged."),
    Failure.INVALID_ANSWER: N_("The source gave an answer that is not valid HTTP."),
    Failure.BAD_URL: N_(
        "The address is not one varsel fetches: it must start with https:// or http://."
    ),
    Failure.FRONT_PAGE: N_(
        "The address now leads to the front page of its site (%(reached)s), not to the page: "
        "the page has probably been removed or moved."
    ),
    Failure.ANOTHER_SITE: N_(
        "The address now leads to another site (%(reached)s), whose text is not sent to "
        "anyone: if the page moved there, change the source's address."
    ),
    Failure.UNEXPECTED: N_("An unexpected error stopped the poll. The operators' log says more."),
    Failure.EMPTY_BODY: N_("The source answered with an empty page."),
    Failure.BAD_IGNORE: N_("An ignore pattern is not a valid regular expression."),
    Failure.ERROR_PAGE: N_("The source shows an error page, not the content: “%(said)s”."),
    Failure.ERROR_TEXT: N_(
        "The page shows an error message where its content was: “%(said)s”. Nobody is "
        "alerted; the page is compared with its last content when it shows it again."
    ),
    Failure.SIGN_IN: N_("The source shows a sign-in page, not the content: “%(said)s”."),
    Failure.MAINTENANCE: N_("The source shows a maintenance notice, not the content: “%(said)s”."),
    Failure.ROBOT_CHECK: N_(
        "The source checks that the reader is no robot, and shows no content: “%(said)s”."
    ),
    Failure.FIREWALL: N_(
        "A firewall in front of the source rejects varsel's requests, and shows no content: "
        "“%(said)s”. Ask the site to let varsel through."
    ),
    Failure.QUEUE: N_(
        "The source puts its readers in a queue, and shows no content: “%(said)s”. Nobody is "
        "alerted; the page is compared with its last content when it shows it again."
    ),
    Failure.PDF_NOT_PAGE: N_("The address answers a PDF file: make the source a PDF."),
    Failure.FILE: N_(
        "The address answers a file (an image, an archive or a document), not a web page or feed."
    ),
    Failure.BINARY: N_(
        "The address answers binary data, not text: %(share)s%% of its characters are control "
        "characters."
    ),
    Failure.JSON: N_("The address answers JSON data, not a web page or feed."),
    Failure.NOT_PDF: N_("The address does not answer a PDF file."),
    Failure.PDF_ENCRYPTED: N_("The PDF is encrypted and needs a password."),
    Failure.PDF_UNREADABLE: N_("The PDF cannot be read."),
    Failure.FEED_ENTITIES: N_(
        "The feed is refused: its XML declares entities, which can be used to attack its reader."
    ),
    Failure.FEED_MALFORMED: N_("The feed is malformed, and no entries could be read."),
    Failure.FEED_JSON_TOO_DEEP: N_(
        "The feed's JSON nests deeper than varsel reads, so none of its entries can be read. "
        "Ask whoever publishes the feed to fix it."
    ),
    Failure.FEED_ENTRY_TOO_DEEP: N_(
        "Entry number %(number)s of the feed nests its HTML deeper than varsel reads (likely "
        "from tags left unclosed), so the feed is not read. Ask whoever publishes the feed to "
        "fix it."
    ),
    Failure.FEED_TITLE_TOO_DEEP: N_(
        "The feed's title nests its HTML deeper than varsel reads (likely from tags left "
        "unclosed), so the feed is not read. Ask whoever publishes the feed to fix it."
    ),
    Failure.FEED_EMPTY: N_("The feed has no entries with a title or text."),
    Failure.FEED_CUT_SHORT: N_(
        "The feed stops before its end (its closing </%(root)s>): it was cut off on its way, or "
        "read while it was being written. If the next poll finds it the same, it is read as it is."
    ),
    Failure.PAGE_CUT_SHORT: N_(
        "The page stops before its end (its closing </html>), and its text is the stored text "
        "cut short: the server sent it without saying its length, so it was likely cut off on "
        "its way. Nobody is alerted. Once %(polls)s polls in a row have found it so, it is "
        "read as it is."
    ),
    Failure.FEED_IS_PAGE: N_(
        "The address answers a web page, not a feed: the feed may have moved, or the source "
        "may be a page."
    ),
    Failure.FEED_IS_PAGE_NAMING_FEED: N_(
        "The address answers a web page, not a feed. The page names a feed at %(feed)s: the "
        "feed has probably moved there."
    ),
    Failure.NO_TEXT: N_(
        "varsel found almost no text there (%(chars)s characters). Check the selector, or "
        "whether the kind is right."
    ),
    Failure.PDF_NO_TEXT: N_(
        "The PDF holds almost no text (%(chars)s characters): its pages are likely scanned "
        "images, which varsel cannot read."
    ),
    Failure.PAGE_TOO_DEEP: N_(
        "The page nests its HTML deeper than varsel reads (likely from tags left unclosed), so "
        "it is not read. Ask whoever publishes the page to fix it."
    ),
    Failure.UNPARSEABLE_HTML: N_("The page's HTML cannot be read."),
    Failure.BAD_SELECTOR: N_("The CSS selector “%(selector)s” cannot be read. Check its spelling."),
    Failure.SELECTOR_NOTHING: N_("The CSS selector “%(selector)s” matched nothing on the page."),
}
