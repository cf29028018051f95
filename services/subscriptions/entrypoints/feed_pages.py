"""A topic's changes as an Atom feed, for people and systems that would rather not give an address.

The changes come from the mailer's read interface (the mailer keeps what each alert showed); the
XML is built by feedgen, a maintained Atom writer, rather than by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from services.mailer.read_api import PublishedChange
from services.subscriptions.entrypoints.web import Web, language_of, no_such_topic
from shared.catalogue_entries import Topic
from shared.page_urls import NotAWebAddress, normal_form, percent_encoded
from shared.web.conditional import etag_of, not_modified

router = APIRouter()

MEDIA_TYPE: Final = "application/atom+xml; charset=utf-8"
# An empty feed has had no change yet; Atom still requires an <updated>, so it is the epoch.
NEVER: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Feed readers poll; five minutes of caching spares the database and delays no alert much.
CACHE_CONTROL: Final = "public, max-age=300"
# What XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE and
# U+FFFF): a CMS's note or a topic's text pasted from a word processor may carry it.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Return a text without the characters an XML document cannot hold."""
    return _NOT_XML.sub("", text)


def _entry_link(url: str, fallback: str) -> str:
    """Return the address an entry links: the changed page's, or ``fallback`` if it has none.

    Atom requires a link or a content element in every entry (RFC 4287, 4.1.2) and feedgen
    refuses to write an entry with neither, so one change stored with an odd address (kept for
    90 days) would fail the whole feed for every reader: such an entry links the topic instead.
    """
    try:
        # Encoded as pushes are now: one stored before, with a space, is no valid link as it is.
        return percent_encoded(normal_form(url))
    except NotAWebAddress:
        return fallback


def feed_path(slug: str) -> str:
    """Return the path of a topic's feed."""
    return f"/topics/{slug}/feed.atom"


def build_feed(
    topic: Topic,
    language: str,
    changes: Sequence[PublishedChange],
    *,
    base_url: str,
    site: str,
) -> bytes:
    """Return the Atom document of a topic's changes (RFC 4287), newest first."""
    feed = FeedGenerator()
    feed.id(f"{base_url}{feed_path(topic.slug)}")
    feed.title(_xml_text(f"{topic.title_in(language)} – {site}"))
    if topic.description_in(language):
        feed.subtitle(_xml_text(topic.description_in(language)))
    feed.language(language)
    feed.author({"name": _xml_text(site)})
    feed.link(href=f"{base_url}{feed_path(topic.slug)}?lang={language}", rel="self")
    signup = f"{base_url}/subscribe/{topic.slug}?lang={language}"
    feed.link(href=signup, rel="alternate")
    feed.generator("varsel")
    feed.updated(changes[0].occurred_at if changes else NEVER)
    for change in changes:
        entry = feed.add_entry(order="append")
        entry.id(f"urn:uuid:{change.id}")
        # Every element Atom requires gets a value whatever the row holds (a title of control
        # characters only, an odd address): one bad row must not fail the feed.
        entry.title(_xml_text(change.title).strip() or _xml_text(topic.title_in(language)))
        entry.updated(change.occurred_at)
        # What XML cannot hold is left out before encoding, which would keep it as %EF%BF%BF.
        link = _entry_link(_xml_text(change.url), _xml_text(topic.page or signup))
        entry.link(href=link, rel="alternate")
        entry.summary(_xml_text(change.summary or change.title))
    document: bytes = feed.atom_str(pretty=True, encoding="utf-8")
    return document


@router.get(feed_path("{slug}"), response_class=Response)
async def topic_feed(slug: str, request: Request, web: Web) -> Response:
    """Serve a topic's changes as Atom, with validators so readers can poll cheaply."""
    language = language_of(request)
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        # An ended topic's feed says so (410), with its sign-up page's words, so feed readers
        # stop polling and a person who opens it learns what to follow instead.
        return no_such_topic(web, request, slug, language)
    changes = await web.topic_changes(slug)
    body = build_feed(
        topic,
        language,
        changes,
        base_url=web.deps.settings.base_url,
        site=web.deps.settings.site_name,
    )
    etag = etag_of(body)
    last_modified = changes[0].occurred_at if changes else None
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if not_modified(request, etag, last_modified, now=web.deps.clock.now()):
        return Response(status_code=304, headers=headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
