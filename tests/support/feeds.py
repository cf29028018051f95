"""Small RSS feeds whose items a test names by title and link."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss(items: list[tuple[str, str]], texts: list[str] | None = None) -> bytes:
    """Return an RSS 2.0 feed of (title, link) items, each with its own guid and a text."""
    texts = texts or [f"Sak {n} om helse og omsorg i kommunene." for n in range(len(items))]
    body = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>sak-{n}</guid>"
        f"<description>{escape(text)}</description></item>"
        for n, ((title, link), text) in enumerate(zip(items, texts, strict=True))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Nyheter</title>{body}</channel></rss>"
    ).encode()
