"""A page's address in one spelling: data and expected pairs."""

from __future__ import annotations

import pytest

from shared.page_urls import (
    NotAWebAddress,
    names_page,
    normal_form,
    percent_encoded,
    without_session,
)

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
    ("https://example.org/maint;jsessionid=0A1B2C3D4E5F", "https://example.org/maint"),
    ("https://example.org/vis?id=3&PHPSESSID=k9v2l1q8", "https://example.org/vis?id=3"),
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


WITHOUT_SESSION = [
    ("https://example.org/sak/1;jsessionid=0A1B2C3D4E5F", "https://example.org/sak/1"),
    ("https://example.org/sak/1;JSESSIONID=0A1B?id=2#del", "https://example.org/sak/1?id=2#del"),
    (
        "https://example.org/sak?id=2&PHPSESSID=k9v2l1q8&side=3",
        "https://example.org/sak?id=2&side=3",
    ),
    ("https://example.org/sak?sid=f3ad39b4", "https://example.org/sak"),
    ("https://example.org/sak?ASPSESSIONIDQQGGQGPG=ABCDEF&id=2", "https://example.org/sak?id=2"),
    ("https://example.org/sak?osCsid=a1b2&sessid=c3&session_id=d4", "https://example.org/sak"),
    (
        "https://example.org/app/(S(lit3py55t21z5v55vlm25s55))/sak.aspx",
        "https://example.org/app/sak.aspx",
    ),
    ("https://example.org/(A(x1)S(y2)F(z3))/sak.aspx?id=2", "https://example.org/sak.aspx?id=2"),
    ("/sak/1;jsessionid=0A1B", "/sak/1"),  # a feed's relative link
    # Kept: an item's number named «sid», and what only looks alike.
    ("https://example.org/vis?sid=1234", "https://example.org/vis?sid=1234"),
    ("https://example.org/vis?side=2&usid=x", "https://example.org/vis?side=2&usid=x"),
    ("https://example.org/(Saker)/1;id=2", "https://example.org/(Saker)/1;id=2"),
    ("https://example.org/sak?b=2&a=1", "https://example.org/sak?b=2&a=1"),
]


@pytest.mark.parametrize(("link", "leads_to"), WITHOUT_SESSION)
def test_a_session_id_written_into_a_link_is_no_part_of_where_it_leads(
    link: str, leads_to: str
) -> None:
    assert without_session(link) == leads_to


@pytest.mark.parametrize(
    ("given", "encoded"),
    [
        ("https://www.fhi.no/a b.pdf", "https://www.fhi.no/a%20b.pdf"),
        ('https://x.no/"<v2>"?q=a b#c d', "https://x.no/%22%3Cv2%3E%22?q=a%20b#c%20d"),
        ("https://bücher.example/søk?q=ø", "https://bücher.example/s%C3%B8k?q=%C3%B8"),
        ("https://x.no/a%20b?x=1&y=2;z", "https://x.no/a%20b?x=1&y=2;z"),  # already as it must be
    ],
)
def test_an_address_is_percent_encoded_where_a_link_needs_it_and_no_more(
    given: str, encoded: str
) -> None:
    assert percent_encoded(given) == encoded
    assert percent_encoded(encoded) == encoded
