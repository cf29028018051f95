"""A page's address in one spelling: data and expected pairs."""

from __future__ import annotations

import pytest

from shared.page_urls import NotAWebAddress, normal_form

SPELT = [
    ("HTTPS://WWW.Example.org/report", "https://www.example.org/report"),
    ("Http://Example.org:8080/A/B?Q=Ä#Del", "http://example.org:8080/A/B?Q=Ä#Del"),
    ("https://Redaktør@Example.org/x", "https://Redaktør@example.org/x"),
    ("https://BÜCHER.example/Side", "https://bücher.example/Side"),
    ("https://ＦＨＩ.no/", "https://fhi.no/"),  # full-width letters, as a browser maps them
    ("https://xn--bcher-kva.EXAMPLE/", "https://xn--bcher-kva.example/"),
    ("https://[::1]:8000/", "https://[::1]:8000/"),
    ("https://intra_net.example/", "https://intra_net.example/"),
]


@pytest.mark.parametrize(("sent", "stored"), SPELT)
def test_scheme_and_host_are_lower_cased_and_the_rest_kept(sent: str, stored: str) -> None:
    assert normal_form(sent) == stored


@pytest.mark.parametrize(
    "wrong",
    ["ftp://example.org/", "/relative", "https://", "https://example.org:99999/", "https://ø..no/"],
)
def test_what_is_no_web_address_is_refused_with_a_reason(wrong: str) -> None:
    with pytest.raises(NotAWebAddress):
        normal_form(wrong)
