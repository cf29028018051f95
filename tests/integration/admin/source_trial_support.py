"""A loopback site for «Test this source»: a page, a feed and a PDF from the watcher's fixtures,
an error, a line that makes a careless pattern backtrack, and a soft 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.site import FixtureSite, Resource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "watcher"


PAGE = (FIXTURES / "pages" / "fhi_norge_i_verden.html").read_bytes()


FEED = (FIXTURES / "feeds" / "regjeringen_nyheter.rss").read_bytes()


PDF = (FIXTURES / "pdf" / "rapport_2019.pdf").read_bytes()


# A line of «a» that ends otherwise: the pattern (a|aa)+$ backtracks on it without end.
LONG_LINE = PAGE.replace(b"</article>", b"<p>" + b"a" * 60 + b"!</p></article>", 1)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """Serve the fixtures on loopback (import it, and name it in ``__all__``)."""
    served = FixtureSite()
    served.set("/side", Resource(PAGE))
    served.set("/nyheter.rss", Resource(FEED, "application/rss+xml"))
    served.set("/rapport.pdf", Resource(PDF, "application/pdf"))
    served.set("/feil", Resource(b"<h1>Feil</h1>", status=500))
    served.set("/lang-linje", Resource(LONG_LINE))
    served.set("/", Resource(PAGE))  # the front page
    served.set("/fjernet-side", Resource(b"", status=302, location="/"))  # a soft 404
    served.start()
    yield served
    served.stop()
