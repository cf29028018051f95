"""What publishers' systems put in feeds and pages, hostile parts included: hypothesis
strategies for texts, links and dates, and the feeds and pages made of them."""

from __future__ import annotations

from html import escape

from hypothesis import strategies as st

ENCODINGS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "iso-8859-15"]

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


def xml_text(value: str) -> str:
    """Escape for XML text; the surrogates a str can hold cannot be encoded, so refer to them."""
    return "".join(
        f"&#{ord(c)};" if 0xD800 <= ord(c) <= 0xDFFF else c for c in escape(value, quote=False)
    )


def feed(items: list[dict[str, str]], atom: bool, encoding: str) -> bytes:
    """Return an Atom or RSS feed of the entries, in the encoding."""
    if atom:
        body = "".join(
            f'<entry><title>{xml_text(i["title"])}</title><link href="{xml_text(i["link"])}"/>'
            f"<id>{xml_text(i['guid'])}</id><updated>{xml_text(i['date'])}</updated>"
            f'<summary type="html">{xml_text(i["text"])}</summary></entry>'
            for i in items
        )
        document = (
            f'<?xml version="1.0" encoding="{encoding}"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>FHI</title>{body}</feed>'
        )
    else:
        body = "".join(
            f"<item><title>{xml_text(i['title'])}</title><link>{xml_text(i['link'])}</link>"
            f"<guid>{xml_text(i['guid'])}</guid><pubDate>{xml_text(i['date'])}</pubDate>"
            f"<description>{xml_text(i['text'])}</description></item>"
            for i in items
        )
        document = (
            f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
            f"<title>Nyheter</title>{body}</channel></rss>"
        )
    return document.encode(encoding, errors="xmlcharrefreplace")


def page(title: str, paragraphs: list[str], encoding: str) -> bytes:
    """Return an article page with the paragraphs after its standing text, in the encoding."""
    body = "".join(f"<p>{xml_text(p)}</p>" for p in paragraphs)
    document = (
        f'<!doctype html><html lang="nb"><head><meta charset="{encoding}">'
        f"<title>{xml_text(title)}</title></head><body><main><article><h1>Norge i verden</h1>"
        "<p>God helse i befolkningen avhenger av hva vi gjør i Norge, men også av forhold "
        f"i andre land.</p>{body}</article></main></body></html>"
    )
    return document.encode(encoding, errors="xmlcharrefreplace")
