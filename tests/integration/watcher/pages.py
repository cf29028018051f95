"""Small realistic pages and feeds for the watcher's integration tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "watcher"

PAGE = """<!doctype html>
<html lang="nb"><head>{meta}<title>Blåbær og tyttebær - Mattilsynet</title></head>
<body>
<nav><a href="/">Forside</a> <a href="/tema">Tema</a></nav>
<main><article>
<h1>Råd om blåbær, tyttebær og multer</h1>
<p>Publisert 03.02.2021 Oppdatert 15.03.2021</p>
<p>Ville bær fra skog og myr er trygge å spise for de fleste. Skyll bærene godt, særlig
når de er plukket nær veier, og oppbevar dem kjølig. Blåbærsyltetøy holder seg lenge.</p>
<h2>Sjøgående og fjellvandrere</h2>
<p>På fjellet i Sør-Trøndelag og i Østerdalen vokser det mye multe i august. Det er
lov å plukke bær i utmark etter allemannsretten, også på private eiendommer.</p>
{extra}
</article></main>
<footer>Mattilsynet, Postboks 383, 2381 Brumunddal</footer>
</body></html>
"""

NEW_PARAGRAPH = (
    "<h2>Nytt om revebjelle</h2><p>Mattilsynet advarer mot å forveksle revebjelle med "
    "ætelige vekster når en plukker bær i skogkanten.</p>"
)


def page(extra: str = "", meta: str = '<meta charset="utf-8">') -> str:
    """Return the test page, with optional extra content inside the article."""
    return PAGE.format(extra=extra, meta=meta)


def feed(numbers: list[int]) -> bytes:
    """Return an RSS feed whose items are the given numbers, newest first."""
    items = "".join(
        f"""<item><title>Sak nummer {n} om folkehelse</title>
<link>https://example.no/sak/{n}</link><guid isPermaLink="false">sak-{n}</guid>
<pubDate>Mon, 0{1 + n % 9} Jan 2024 10:00:00 +0100</pubDate>
<description>Dette er nyhetssak {n}, med tekst om helse og omsorg i kommunene.</description>
</item>"""
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Nyheter</title><link>https://example.no/</link>{items}</channel></rss>"
    ).encode()


def fixture(name: str) -> bytes:
    """Return a fixture file's bytes."""
    return (FIXTURES / name).read_bytes()
