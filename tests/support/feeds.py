"""Small RSS feeds whose items a test names by title and link."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss(
    items: list[tuple[str, str]],
    texts: list[str] | None = None,
    *,
    dates: list[str] | None = None,
    guids: list[str] | None = None,
    title: str = "Nyheter",
) -> bytes:
    """Return an RSS 2.0 feed of (title, link) items, each with its own guid and a text, and
    each with its ``dates`` entry as its pubDate when given.

    An item's guid is ``sak-`` and its place in the feed unless ``guids`` names it: a feed that
    keeps an item's guid when newer items are put above it must name them."""
    texts = texts or [f"Sak {n} om helse og omsorg i kommunene." for n in range(len(items))]
    dated = dates or [""] * len(items)
    named = guids or [f"sak-{n}" for n in range(len(items))]
    body = "".join(
        f"<item><title>{escape(name)}</title><link>{escape(link)}</link><guid>{escape(guid)}</guid>"
        + (f"<pubDate>{escape(when)}</pubDate>" if when else "")
        + f"<description>{escape(text)}</description></item>"
        for (name, link), text, when, guid in zip(items, texts, dated, named, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title>{body}</channel></rss>"
    ).encode()
