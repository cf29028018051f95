"""The page the end-to-end tests watch: a public body's topic page, before and after a change."""

from __future__ import annotations

from tests.support.site import Resource

PAGE = """<!doctype html>
<html lang="nb"><head><title>Norge i verden - FHI</title></head>
<body><main><article>
<h1>Norge i verden</h1>
<p>God helse i befolkningen avhenger av hva vi gjør i Norge, men også av forhold i andre land.
Samarbeid på tvers av landegrensene er avgjørende for å sikre god helse i Norge.</p>
{extra}
</article></main></body></html>
"""
# A real change: a new section. Its title (the page's heading) stays "Norge i verden".
ADDED = (
    "<h2>Nytt samarbeid</h2><p>Folkehelseinstituttet inngår et nytt partnerskap med "
    "søsterinstitusjoner i Afrika om overvåking av smittsomme sykdommer.</p>"
)


def watched_page(extra: str = "") -> Resource:
    """Return the page as served, with ``extra`` HTML at the end of its article."""
    return Resource(PAGE.format(extra=extra).encode())
