"""Which redirects lead a page to its site's front page (domain/front_pages.py), as a table."""

from __future__ import annotations

import pytest

from services.watcher.domain.front_pages import leads_to_front_page


@pytest.mark.parametrize(
    ("asked", "reached", "expected"),
    [
        ("https://x.no/tema/baer", "https://x.no/", True),
        ("https://x.no/tema/baer", "https://x.no", True),
        ("https://x.no/tema/baer", "https://www.x.no/?finnes=ikke", True),
        ("https://x.no/tema/baer", "https://x.no/nb/", True),
        ("https://x.no/tema/baer", "https://x.no/en-gb", True),
        ("https://x.no/tema/baer", "https://x.no/index.html", True),
        ("https://x.no/tema/baer", "https://ny.example.no/", True),  # another host's root
        ("https://x.no/tema/baer", "https://x.no/tema/baer", False),  # no redirect
        ("https://x.no/tema/baer", "https://x.no/tema/baer/", False),  # a slash
        ("https://x.no/tema/baer", "https://x.no/nb/tema/baer", False),  # moved within
        ("https://x.no/tema/baer", "https://x.no/mat/baer", False),  # moved elsewhere
        ("https://x.no/gammel", "https://x.no/ny", False),  # «new», no language
        ("https://x.no/tema/baer", "https://x.no/tema", False),  # its section: read there
        ("https://x.no/", "https://x.no/nb/", False),  # a front page to its language's
        ("http://x.no/", "https://www.x.no/", False),
    ],
)
def test_a_front_page_is_where_redirects_led_from_a_page_deeper_in_its_site(
    asked: str, reached: str, expected: bool
) -> None:
    assert leads_to_front_page(asked, reached) is expected
