"""Which links of a bulletin's Markdown a reader can follow from a mail."""

from __future__ import annotations

import pytest

from services.admin.domain.bulletin_draft import unfollowable_link


@pytest.mark.parametrize(
    "body",
    [
        "No link at all, **bold** and *italics*.",
        "[Read](https://www.fhi.no/nyhet) or <https://www.fhi.no/>.",
        "[Write to us](mailto:post@fhi.no), [call us](tel:+4721077000).",
        "[Plain web](HTTP://example.org/side)",
        "Code is no link: `[x](/side)`",
        "[Reference][r]\n\n[r]: https://example.org/r",
    ],
)
def test_whole_addresses_are_followable(body: str) -> None:
    assert unfollowable_link(body) is None


@pytest.mark.parametrize(
    ("body", "link"),
    [
        ("[Read](/nyhet)", "/nyhet"),
        ("[Read](www.fhi.no/nyhet)", "www.fhi.no/nyhet"),
        ("[x](javascript:alert(1))", "javascript:alert(1)"),
        ("[x](JaVaScRiPt:alert(1))", "JaVaScRiPt:alert(1)"),
        ("[x](&#106;avascript:alert(1))", "javascript:alert(1)"),
        ("![x](data:image/png;base64,AAAA)", "data:image/png;base64,AAAA"),
        ("[Ok](https://a.no) then [not](vbscript:x)", "vbscript:x"),
        ("[Reference][r]\n\n[r]: /r", "/r"),
        # A scheme alone opens nothing.
        ("[x](https://)", "https://"),
        ("[x](http:///side)", "http:///side"),
        ("[x](mailto:)", "mailto:"),
        ("[x](mailto:?subject=Hei)", "mailto:?subject=Hei"),
        ("[x](tel:)", "tel:"),
        ("[x](tel:+)", "tel:+"),
    ],
)
def test_the_first_link_leading_nowhere_from_a_mail_is_named(body: str, link: str) -> None:
    assert unfollowable_link(body) == link
