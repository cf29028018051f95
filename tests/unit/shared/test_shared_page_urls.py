"""A page's address in one spelling: data and expected pairs."""

from __future__ import annotations

import pytest

from shared.page_urls import NotAWebAddress, names_page, normal_form

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


SAME_PAGE = [
    ("HTTP://Example.org:80/maint/#top", "https://example.org/maint"),
    ("https://example.org/maint?utm_source=brev&gclid=1", "https://example.org/maint"),
    ("https://example.org/maint?visning=liste", "https://example.org/maint"),
    ("https://example.org/vis?del=1&id=3", "https://example.org/vis?id=3&del=1"),
    ("https://xn--bcher-kva.example/a/", "https://BÜCHER.example/a"),
]
OTHER_PAGE = [
    ("https://example.org/maint/del", "https://example.org/maint"),
    ("https://example.org/Maint", "https://example.org/maint"),  # paths are case-sensitive
    ("https://example.org:8443/maint", "https://example.org/maint"),
    ("https://example.org/vis?id=4&del=1", "https://example.org/vis?id=3&del=1"),
    ("https://example.org/vis", "https://example.org/vis?id=3"),
]


@pytest.mark.parametrize(("address", "page"), SAME_PAGE)
def test_spellings_of_one_page_name_it(address: str, page: str) -> None:
    assert names_page(address, page)


@pytest.mark.parametrize(("address", "page"), OTHER_PAGE)
def test_another_page_is_not_named(address: str, page: str) -> None:
    assert not names_page(address, page)
