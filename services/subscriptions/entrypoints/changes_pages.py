"""A topic's recent changes as a public page: where a digest cut short sends its readers.

The same changes as the topic's Atom feed (the mailer's read interface, newest first, as long
as the mailer keeps them), for people: a mail's «See all changes» must open a page a browser
shows, not a feed document.
"""

from __future__ import annotations

import gettext
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.mailer.read_api import PublishedChange
from services.subscriptions.entrypoints.feed_pages import feed_path
from services.subscriptions.entrypoints.web import Web, language_of, no_such_topic, topic_view
from shared.i18n.translator import Translator
from shared.page_urls import NotAWebAddress, normal_form

router = APIRouter()


def changes_path(slug: str) -> str:
    """Return the path of a topic's page of recent changes."""
    return f"/topics/{slug}/changes"


def _change_view(change: PublishedChange, t: Translator, tz: ZoneInfo) -> dict[str, object]:
    try:
        url: str | None = normal_form(change.url)
    except NotAWebAddress:
        url = None  # an odd address is shown without a link, never failing the page
    return {
        "title": change.title.strip() or url or "",
        "url": url,
        "when": t.format_datetime(change.occurred_at, tz),
        "datetime": change.occurred_at.isoformat(),
        "summary": [line.strip() for line in change.summary.splitlines() if line.strip()],
    }


@router.get(changes_path("{slug}"), response_class=HTMLResponse)
async def topic_changes_page(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Show a topic's recent changes, newest first, with its sign-up and feed beside them."""
    language = language_of(request)
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        return no_such_topic(web, request, slug, language)
    t = Translator(language, gettext.NullTranslations())  # dates only: words are the template's
    tz = ZoneInfo(web.deps.settings.timezone)
    changes = [_change_view(c, t, tz) for c in await web.topic_changes(slug)]
    return web.pages.render(
        request,
        "topic_changes.html",
        language,
        topic=topic_view(topic, language),
        changes=changes,
        feed_url=feed_path(slug),
    )
