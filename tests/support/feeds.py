"""Small RSS feeds whose items a test names by title and link."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss(
    items: list[tuple[str, str]],
    texts: list[str] | None = None,
    *,
    dates: list[str] | None = None,
    title: str = "Nyheter",
) -> bytes:
    """Return an RSS 2.0 feed of (title, link) items, each with its own guid and a text, and
    each with its ``dates`` entry as its pubDate when given."""
    texts = texts or [f"Sak {n} om helse og omsorg i kommunene." for n in range(len(items))]
    dated = dates or [""] * len(items)
    body = "".join(
        f"<item><title>{escape(name)}</title><link>{escape(link)}</link><guid>sak-{n}</guid>"
        + (f"<pubDate>{escape(when)}</pubDate>" if when else "")
        + f"<description>{escape(text)}</description></item>"
        for n, ((name, link), text, when) in enumerate(zip(items, texts, dated, strict=True))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title>{body}</channel></rss>"
    ).encode()
