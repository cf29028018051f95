"""What every mail's template is given: the site, its look, its links, and a change as shown.

A mail to a list (an alert, a digest, a bulletin) also carries the recipient's own links as
sentinels, filled in per person after rendering (see ``mime``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from services.mailer.domain.mime import Sentinels
from services.mailer.domain.text import checked_url, one_line, paragraphs
from services.mailer.domain.views import ChangeView
from services.mailer.domain.wording import frequency_name
from shared.brand import Brand
from shared.i18n.translator import Translator

TITLE_MAX: Final = 200  # characters of a page or topic title shown (and put in a subject)
# A page's earlier changes named beside its latest version: enough to show what a morning's edit
# said, bounded so fifty edits of one page do not make the mail a log.
EARLIER_SHOWN: Final = 5
EARLIER_MAX: Final = 300  # characters of an earlier change's summary


def base_context(
    t: Translator,
    base_url: str,
    site_name: str | None,
    privacy_url: str | None,
    brand: Brand | None = None,
) -> dict[str, Any]:
    """Return what every mail shows: the site's name and look, and the footer's links."""
    base_url = checked_url("base_url", base_url)
    site = one_line(site_name) if site_name else (urlsplit(base_url).hostname or base_url)
    brand = brand or Brand()
    return {
        # The organisation's look in the mail's header: its accent and logo (served by varsel).
        "accent": brand.accent,
        "logo_url": f"{base_url}{brand.logo_path}" if brand.logo_path else None,
        "_sentinels": Sentinels.new(),
        "lang": t.language,
        "site": site,
        "base_url": base_url,
        # The topic index (the site's root), linked from every mail's footer. It and varsel's
        # own privacy notice open in the mail's language, not the browser's (the pages take
        # ?lang); an organisation's own privacy page (VARSEL_PRIVACY_URL) is linked whole.
        "index_url": in_language(base_url.rstrip("/") + "/", t.language),
        "privacy_url": _privacy_link(base_url, privacy_url, t.language) if privacy_url else None,
    }


def _privacy_link(base_url: str, privacy_url: str, language: str) -> str:
    url = checked_url("privacy_url", privacy_url)
    own = url.startswith(base_url.rstrip("/") + "/")
    return in_language(url, language) if own else url


def in_language(url: str, language: str) -> str:
    """Return the address of one of varsel's pages that opens it in ``language``."""
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def list_context(
    t: Translator,
    base_url: str,
    site_name: str | None,
    privacy_url: str | None,
    brand: Brand | None,
    *,
    frequency: str,
) -> dict[str, Any]:
    """Return what a mail to a list shows: ``base_context``, the recipient's links, frequency."""
    context = base_context(t, base_url, site_name, privacy_url, brand)
    context["links"] = context["_sentinels"].context()
    context["frequency_text"] = t.gettext(
        "Frequency: %(frequency)s (this affects all your alerts).",
        frequency=frequency_name(t, frequency),
    )
    return context


def change_context(t: Translator, change: ChangeView) -> dict[str, Any]:
    """Return one change as a mail shows it: its title, address, dates and summary."""
    return {
        "title": one_line(change.title, max_length=TITLE_MAX) or change.url or "",
        "url": change.url,
        "published": t.format_date(change.published) if change.published else None,
        "updated": t.format_date(change.updated) if change.updated else None,
        "summary": paragraphs(change.summary),
    }


def earlier_context(
    t: Translator, earlier: Sequence[ChangeView], times_text: str, tz: ZoneInfo
) -> dict[str, Any]:
    """Return how often a page changed (``times_text``) and what its ``earlier`` changes said,
    newest first, each with its time (at most ``EARLIER_SHOWN``, then how many more)."""
    if not earlier:
        return {"times_text": None, "earlier": [], "earlier_more": None}
    shown = earlier[:EARLIER_SHOWN]
    rest = len(earlier) - len(shown)
    return {
        "times_text": times_text,
        "earlier_heading": t.gettext("Earlier changes, newest first:"),
        "earlier": [
            {
                "when": t.format_datetime(change.occurred_at, tz),
                "summary": one_line(change.summary, max_length=EARLIER_MAX)
                or t.gettext("(no summary)"),
            }
            for change in shown
        ],
        "earlier_more": t.ngettext(
            "and %(num)d earlier change.", "and %(num)d earlier changes.", rest
        )
        if rest
        else None,
    }
