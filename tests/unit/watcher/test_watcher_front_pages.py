"""Which redirects lead a page to its site's front page, or to another site
(domain/front_pages.py), as tables."""

from __future__ import annotations

import pytest

from services.watcher.domain.front_pages import leads_to_another_site, leads_to_front_page


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


@pytest.mark.parametrize(
    ("asked", "reached", "another"),
    [
        ("https://fhi.no/tema", "https://www.fhi.no/tema", False),
        ("https://www.fhi.no/tema", "https://nettpub.fhi.no/tema", False),
        ("https://nettpub.fhi.no/tema", "https://www.fhi.no/tema", False),
        ("https://www.fhi.no/tema", "https://www.fhi.no:8443/tema", False),
        ("https://www.fhi.no/tema", "https://www.helsedirektoratet.no/tema", True),
        ("https://kommune.example.no/x", "https://parkert.example.com/", True),
        ("https://a.github.io/x", "https://b.github.io/x", True),
        ("https://www.fhi.no/tema", "https://fhi.no.parkert.example/tema", True),
    ],
)
def test_the_same_site_is_the_host_with_or_without_www_or_one_under_it(
    asked: str, reached: str, another: bool
) -> None:
    assert leads_to_another_site(asked, reached) is another
