"""Nothing a watched source publishes costs a mail: generated hostile feeds and pages.

Each example publishes a feed or page, then a version with a new entry or paragraph that carries
a marker word, in any of the encodings publishers use, with hostile links, titles, dates, markup
and sizes around it. It runs through the watcher's extraction, change detection and events, and
through the mailer's record of the change and its rendering of an alert and a digest. Every owed
mail must render into a message a mail client reads without defects, naming the new content,
with a safe link or none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.message import (
    RecipientLinks,
    build_environment,
    render_alert,
    render_digest,
)
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.views import build_digest_sections
from services.mailer.links import SignedLinks
from services.mailer.mail_builder import MailBuilder
from services.watcher.domain.content import Content, ContentError, compare, parse_content
from services.watcher.domain.news import change_events, seen_entries
from shared.catalogue import Catalogue, Topic
from shared.events import ContentChanged, decode_event
from shared.settings import Settings
from shared.tokens import TokenSigner

FEED_URL = "https://www.regjeringen.no/no/rss/hod-nyheter/"
PAGE_URL = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
TOPIC = "norge-i-verden"
SENT_AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
LINKS_BASE = "https://varsel.fhi.no"
LINKS = RecipientLinks(
    manage_url="https://varsel.fhi.no/manage/s1.YWJj",
    unsubscribe_url="https://varsel.fhi.no/unsubscribe/s1.ZGVm",
    one_click_url="https://varsel.fhi.no/one-click/s1.Z2hp",
)
ENCODINGS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "iso-8859-15"]
COLUMNS = ChangeRecord.__table__.c
EMPTY = Content(title="", blocks=(), headings=frozenset(), published=None, updated=None)


@dataclass(frozen=True)
class Source:
    id: int
    url: str
    kind: str
    topics: tuple[str, ...]


# What publishers' systems put in text: markup, entities (valid, surrogate, NUL), CDATA ends,
# controls, bidi overrides, emoji, combining marks, Norwegian letters, and plain words.
FRAGMENTS = st.sampled_from(
    [
        "<b>fet</b>",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(2)>',
        "&amp;",
        "&lt;p&gt;",
        "&#xD800;",
        "&#56320;",
        "&#0;",
        "&#1;",
        "&#x1F600;",
        "&nbsp;",
        "&shy;",
        "]]>",
        "<![CDATA[x]]>",
        "\ud800",  # written as a character reference, as some CMSs do
        "\udfff",
        "\x00",
        "\x01\x1b",
        "\x7f\x85\x9f",
        "\u202e\u2066",
        "\r\n\t",
        "\u2028\u2029",
        "=?utf-8?q?x?=",
        "blåbær og tyttebær",
        "e\u0301",
        "Bcc: ola@example.no",
    ]
)
TEXT = st.lists(
    st.one_of(FRAGMENTS, st.text(max_size=40), st.text("ab ", min_size=200, max_size=3000)),
    max_size=6,
).map("".join)
LINK = st.one_of(
    st.sampled_from(
        [
            "/nyheter/relativ-sak",
            "relativ-sak?id=1&x=2#del",
            "//www.fhi.no/nyheter/a",
            "../../opp",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "mailto:post@hod.dep.no",
            "data:text/html,<script>alert(1)</script>",
            "ftp://ftp.fhi.no/x",
            "https://www.fhi.no/søk?q=blåbær og tyttebær",
            'https://www.fhi.no/"onmouseover=alert(1)',
            "https://blåbær.no/",
            "https://blå..no/",
            "http://[::1",
            "https://www.fhi.no:99999/",
            "  https://www.fhi.no/med-mellomrom  ",
            "https://www.fhi.no/" + "a" * 2500,
            "",
        ]
    ),
    TEXT,
)
DATE = st.sampled_from(
    [
        "Mon, 17 Jun 2024 10:00:00 +0200",
        "2024-06-17T10:00:00+02:00",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Mon, 01 Jan 0001 00:00:00 +0000",
        "31.02.2024",
        "i går",
        "",
    ]
)


@st.composite
def entries(draw: st.DrawFn, count: int) -> list[dict[str, str]]:
    """Return ``count`` feed entries with hostile titles, links, texts and dates."""
    return [
        {
            "title": draw(TEXT),
            "link": draw(LINK),
            "guid": draw(st.one_of(st.just(f"urn:sak:{n}"), TEXT)),
            "text": draw(TEXT),
            "date": draw(DATE),
        }
        for n in range(count)
    ]


def _xml(value: str) -> str:
    """Escape for XML text; the surrogates a str can hold cannot be encoded, so refer to them."""
    return "".join(
        f"&#{ord(c)};" if 0xD800 <= ord(c) <= 0xDFFF else c for c in escape(value, quote=False)
    )


def _feed(items: list[dict[str, str]], atom: bool, encoding: str) -> bytes:
    if atom:
        body = "".join(
            f'<entry><title>{_xml(i["title"])}</title><link href="{_xml(i["link"])}"/>'
            f"<id>{_xml(i['guid'])}</id><updated>{_xml(i['date'])}</updated>"
            f'<summary type="html">{_xml(i["text"])}</summary></entry>'
            for i in items
        )
        document = (
            f'<?xml version="1.0" encoding="{encoding}"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>FHI</title>{body}</feed>'
        )
    else:
        body = "".join(
            f"<item><title>{_xml(i['title'])}</title><link>{_xml(i['link'])}</link>"
            f"<guid>{_xml(i['guid'])}</guid><pubDate>{_xml(i['date'])}</pubDate>"
            f"<description>{_xml(i['text'])}</description></item>"
            for i in items
        )
        document = (
            f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
            f"<title>Nyheter</title>{body}</channel></rss>"
        )
    return document.encode(encoding, errors="xmlcharrefreplace")


def _page(title: str, paragraphs: list[str], encoding: str) -> bytes:
    body = "".join(f"<p>{_xml(p)}</p>" for p in paragraphs)
    document = (
        f'<!doctype html><html lang="nb"><head><meta charset="{encoding}">'
        f"<title>{_xml(title)}</title></head><body><main><article><h1>Norge i verden</h1>"
        "<p>God helse i befolkningen avhenger av hva vi gjør i Norge, men også av forhold "
        f"i andre land.</p>{body}</article></main></body></html>"
    )
    return document.encode(encoding, errors="xmlcharrefreplace")


def _parse(kind: str, body: bytes, content_type: str) -> Content | None:
    """Extract as the watcher does: usable content, or a ContentError (never anything else)."""
    try:
        return parse_content(kind, body, content_type=content_type)  # type: ignore[arg-type]
    except ContentError:
        return None


ENV = build_environment()
BUILDER = MailBuilder(
    Settings(base_url="https://varsel.fhi.no", mail_from="FHI <varsel@fhi.no>"),
    Catalogue(
        topics=(Topic(slug=TOPIC, title={"nb": "Norge i verden", "en": "Norway in the world"}),)
    ),
    SignedLinks("https://varsel.fhi.no", TokenSigner("property-test-secret-key-0123456789")),
    ENV,
)
MAIL = {"sender": "FHI <varsel@fhi.no>", "list_id": "varsel.fhi.no", "base_url": LINKS_BASE}


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


@dataclass(frozen=True)
class Delivered:
    """One owed mail as its recipient reads it."""

    event: ContentChanged
    link: str | None  # the change's link as the mail shows it, or None when left out
    text: str
    html: str
    hrefs: list[str]


def _read(raw: bytes) -> tuple[str, str, list[str]]:
    """Parse a message as a mail client would; return its text, HTML and the HTML's links."""
    assert raw.isascii()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    assert "\n" not in str(message["Subject"])
    parts = list(message.iter_parts())
    assert not any(part.defects for part in parts)
    text, html = (str(part.get_content()) for part in parts)
    links = _Hrefs()
    links.feed(html)
    return text, html, links.hrefs


def _deliver(events: list[ContentChanged]) -> list[Delivered]:
    """Take each event through the outbox and the mailer's record to a sent alert and digest."""
    views = []
    delivered = []
    for sent in events:
        event = decode_event(sent.type_name(), sent.model_dump_json())  # the outbox's round trip
        assert isinstance(event, ContentChanged)
        for name in ("title", "url", "source_url"):
            assert len(getattr(event, name)) <= COLUMNS[name].type.length, name
        for value in (event.title, event.url, event.summary):
            assert "\x00" not in value  # PostgreSQL refuses NUL in text
            value.encode("utf-8")  # no lone surrogate
        record = ChangeRecord.of(event)
        for language in ("nb", "en"):
            view = BUILDER.change_view(record, language)
            mail = render_alert(
                ENV, language=language, change=view, topic_title="Norge i verden", **MAIL
            )
            raw = mail.personalise(
                to="kari@example.no",
                links=LINKS,
                message_id=f"<{uuid.uuid4()}@fhi.no>",
                date=SENT_AT,
            )
            delivered.append(Delivered(event, view.url, *_read(raw)))
        views.append(view)
    if views:
        sections = build_digest_sections(views, {TOPIC: "Norge i verden"})
        assert sum(section.total for section in sections) == len(views)
        digest = render_digest(
            ENV,
            language="nb",
            period=period_ending_at_or_before("daily", SENT_AT, tz=ZoneInfo("Europe/Oslo")),
            sections=sections,
            **MAIL,
        )
        _, _, hrefs = _read(
            digest.personalise(
                to="kari@example.no", links=LINKS, message_id="<d1@fhi.no>", date=SENT_AT
            )
        )
        for view in views:
            assert view.url is None or view.url in hrefs
    return delivered


def _check(mail: Delivered) -> None:
    """The change's link is there if it could be made safe, and every link is a web address."""
    if mail.link is not None:
        assert mail.link in mail.hrefs and mail.link in mail.text
    for href in mail.hrefs:
        parts = urlsplit(href)
        assert parts.scheme in ("http", "https") and parts.hostname, href
        assert href.isascii() and not any(c in href for c in ' "<>\\'), href


# No deadline: the suite asserts no timings. 100 examples a test run in about 15 s here.
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    old=st.integers(0, 3).flatmap(entries),
    fresh=entries(1),
    atom=st.booleans(),
    encoding=st.sampled_from(ENCODINGS),
    marker=st.integers(1000, 9999),
)
def test_a_new_feed_entry_always_reaches_its_subscribers(
    old: list[dict[str, str]],
    fresh: list[dict[str, str]],
    atom: bool,
    encoding: str,
    marker: int,
) -> None:
    word = f"Markør{marker}"
    new_entry = {**fresh[0], "title": f"{word} {fresh[0]['title']}", "guid": f"urn:ny:{marker}"}
    content_type = f"application/{'atom' if atom else 'rss'}+xml; charset={encoding}"
    before = _parse("feed", _feed(old, atom, encoding), content_type)
    after = parse_content(
        "feed", _feed([new_entry, *old], atom, encoding), content_type=content_type
    )

    source = Source(id=1, url=FEED_URL, kind="feed", topics=(TOPIC,))
    seen = seen_entries(None, before) if before is not None else {}
    baseline = before if before is not None else EMPTY
    events = change_events(source, after, compare(baseline, after), seen)

    owed = [e for e in events if word in e.title]
    assert len(owed) == 1, [e.title for e in events]
    mails = _deliver(events)
    for mail in mails:
        _check(mail)
    for mail in (m for m in mails if m.event.event_id == owed[0].event_id):
        assert word in mail.text and word in mail.html


@PROPERTY
@given(
    title=TEXT,
    paragraphs=st.lists(TEXT, max_size=4),
    added=TEXT,
    encoding=st.sampled_from(ENCODINGS),
    declared=st.booleans(),
    marker=st.integers(1000, 9999),
)
def test_a_new_paragraph_on_a_page_always_reaches_its_subscribers(
    title: str,
    paragraphs: list[str],
    added: str,
    encoding: str,
    declared: bool,
    marker: int,
) -> None:
    word = f"Markør{marker}"
    content_type = f"text/html; charset={encoding}" if declared else "text/html"
    before = parse_content("page", _page(title, paragraphs, encoding), content_type=content_type)
    changed = _page(title, [*paragraphs, f"{word} {added}"], encoding)
    after = parse_content("page", changed, content_type=content_type)

    source = Source(id=2, url=PAGE_URL, kind="page", topics=(TOPIC,))
    (event,) = change_events(source, after, compare(before, after), {})

    assert word in event.summary
    for mail in _deliver([event]):
        _check(mail)
        assert mail.link == PAGE_URL
        assert word in mail.text and word in mail.html


@pytest.mark.parametrize("atom", [False, True])
def test_the_relative_link_that_lost_23_deliveries_arrives_resolved(atom: bool) -> None:
    item = {
        "title": "Relativ sak",
        "link": "/nyheter/relativ-sak",
        "guid": "1",
        "text": "",
        "date": "",
    }
    after = parse_content("feed", _feed([item], atom, "utf-8"))
    source = Source(id=1, url=FEED_URL, kind="feed", topics=(TOPIC,))
    events = change_events(source, after, compare(EMPTY, after), {})
    for mail in _deliver(events):
        assert mail.link == "https://www.regjeringen.no/nyheter/relativ-sak"
        _check(mail)
