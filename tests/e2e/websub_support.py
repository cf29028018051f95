"""A feed that names its WebSub hub, and a catalogue that watches it (its address to fill in)."""

from __future__ import annotations

FEED_CATALOGUE = """
[[topics]]
slug = "helsenyheter"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "{url}"
kind = "feed"
topics = ["helsenyheter"]
interval = "1h"
"""


ATOM = "http://www.w3.org/2005/Atom"


def feed(hub: str, topic: str, items: list[str]) -> bytes:
    """Return an RSS feed naming its hub and itself, with one item per title."""
    entries = "".join(
        f"<item><title>{title}</title><link>https://www.example.no/sak/{n}</link>"
        f"<guid>sak-{n}</guid><description>{title}, med tekst om helse og omsorg.</description>"
        "</item>"
        for n, title in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="{ATOM}"><channel>'
        f'<title>Nyheter</title><atom:link rel="hub" href="{hub}"/>'
        f'<atom:link rel="self" href="{topic}"/>{entries}</channel></rss>'
    ).encode()
