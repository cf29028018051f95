"""The page the walking skeleton watches, with its menu, stamps and footer; the sections a change
adds to it; and the catalogue that watches it every second (its address to fill in)."""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="nb"><head><title>Norge i verden - FHI</title></head>
<body>
<nav><a href="/">Forside</a> <a href="/tema">Tema</a></nav>
<main><article>
<h1>Norge i verden</h1>
<p>Publisert 03.02.2021 Oppdatert 15.03.2021</p>
<p>God helse i befolkningen avhenger av hva vi gjør i Norge, men også av forhold i andre land.
Samarbeid på tvers av landegrensene er avgjørende for å sikre god helse i Norge.</p>
<h2>Hva vil vi?</h2>
<p>Vi vil styrke vårt bidrag til helseberedskap globalt i samarbeid med internasjonale partnere
og folkehelseinstitusjoner, og engasjere oss i arbeidet for å styrke det internasjonale
helsereglementet.</p>
{extra}
</article></main>
<footer>Folkehelseinstituttet, Postboks 222 Skøyen, 0213 Oslo</footer>
</body></html>
"""


ADDED = (
    "<h2>Nytt samarbeid</h2><p>Folkehelseinstituttet inngår et nytt partnerskap med "
    "søsterinstitusjoner i Afrika om overvåking av smittsomme sykdommer.</p>"
)


SECOND = "<p>Et nytt avsnitt om vaksinesamarbeid som ingen lenger skal varsles om.</p>"


CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "{url}"

[[sources]]
url = "{url}"
kind = "page"
topics = ["norge-i-verden"]
interval = "1s"
"""
