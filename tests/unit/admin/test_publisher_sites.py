"""The sites of a publisher token: what an operator may type, how it is kept, and which
addresses it holds (ADR 0024). Data and expected pairs, as the other pure rules are tested."""

from __future__ import annotations

import pytest

from services.admin.domain.publisher_sites import (
    SITES_LIMIT,
    SiteRefused,
    covers,
    each_site,
    read,
    site,
    sites,
    stored,
)

KEPT = [
    ("https://www.fhi.no", "www.fhi.no"),
    ("www.fhi.no", "www.fhi.no"),
    ("  HTTPS://WWW.FHI.NO./  ", "www.fhi.no"),
    ("http://www.fhi.no:80", "www.fhi.no"),
    ("https://www.fhi.no:443/", "www.fhi.no"),
    ("https://intranett.fhi.no:8443", "intranett.fhi.no:8443"),
    ("https://bærum.kommune.no", "bærum.kommune.no"),
    ("https://BÆRUM.kommune.no", "bærum.kommune.no"),
    ("xn--brum-voa.kommune.no", "bærum.kommune.no"),
    ("http://cms-01.intern", "cms-01.intern"),
    ("http://10.0.0.7:8080", "10.0.0.7:8080"),
    ("http://[::1]:8080", "[::1]:8080"),
    ("http://[0:0::1]:8080", "[::1]:8080"),  # one IPv6 address, kept as RFC 5952 writes it
    ("www.fhi.no:80", "www.fhi.no"),  # no scheme written: either default is the web's site
    ("www.fhi.no:443", "www.fhi.no"),
    ("http://www.fhi.no:443", "www.fhi.no:443"),  # http on 443 is another site
    ("https://www.fhi.no:80", "www.fhi.no:80"),
    ("https://www.fhi.no:", "www.fhi.no"),
    ("https://" + "a" * 63 + ".no", "a" * 63 + ".no"),
]
REFUSED = [
    ("https://www.fhi.no/rapporter", "site_path"),
    ("https://www.fhi.no/?side=2", "site_path"),
    ("https://www.fhi.no/#topp", "site_path"),
    ("https://www.fhi.no?", "site_path"),
    ("https://kari:hemmelig@www.fhi.no", "site_userinfo"),
    ("kari@www.fhi.no", "site_userinfo"),
    ("ftp://www.fhi.no", "site_scheme"),
    ("javascript://www.fhi.no", "site_scheme"),
    ("*.fhi.no", "site_wildcard"),
    ("https://www.fhi.no:99999", "site_host"),
    ("https://www.fhi..no", "site_host"),
    ("https://xn--zz.no", "site_host"),
    ("https://www.fhi.no\u202e", "site_host"),
    ("https://", "site_host"),
    ("x" * 400, "site_host"),
    ("www.fhi.no:0", "site_host"),
    ("https://www.fhi.no:+80", "site_host"),
    ("-bad.no", "site_host"),
    ("bad-.no", "site_host"),
    ("a_b.no", "site_host"),
    ("http://cms_01.intern", "site_host"),
    ("a" * 70 + ".no", "site_host"),
    (".".join(["a" * 60] * 5), "site_host"),  # 304 characters in all
    (".".join(["a" * 50] * 5), "site_host"),  # 254 characters: past 253
    ("1.2.3", "site_host"),  # a browser reads it as 1.2.0.3
    ("2130706433", "site_host"),  # and this as 127.0.0.1
    ("010.0.0.7", "site_host"),  # octal to some resolvers
    ("0x7f.1", "site_host"),
    ("www.fhi.no.1", "site_host"),
    ("256.0.0.1", "site_host"),
    ("http://[fe80::1%25eth0]", "site_host"),
    ("http://[::g]", "site_host"),
    ("www.fhi%2e.no", "site_host"),
    # urlsplit drops tabs and line breaks: this was kept as «example.no».
    ("exa\tmple.no", "site_host"),
    ("https://exa\nmple.no", "site_host"),
    ("http://x y", "site_host"),
    ("www.exa mple.no", "site_host"),
]


@pytest.mark.parametrize(("typed", "kept"), KEPT)
def test_a_typed_site_is_kept_as_its_host(typed: str, kept: str) -> None:
    assert site(typed) == kept


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_a_site_that_is_not_a_host_alone_is_refused_saying_why(typed: str, reason: str) -> None:
    with pytest.raises(SiteRefused) as refused:
        site(typed)
    assert refused.value.reason == reason


def test_sites_are_typed_one_a_line_or_apart_and_kept_each_once() -> None:
    typed = "https://www.fhi.no\r\nWWW.FHI.NO, helsenorge.no; \n\n https://www.fhi.no./"
    assert sites(typed) == ("www.fhi.no", "helsenorge.no")
    assert read(stored(sites(typed))) == ("www.fhi.no", "helsenorge.no")


def test_sites_given_one_by_one_are_each_one_site_whole() -> None:
    # A command's --site options: a space inside one is a typo, not two sites.
    assert each_site(["https://www.fhi.no", "helsenorge.no", "WWW.FHI.NO"]) == (
        "www.fhi.no",
        "helsenorge.no",
    )
    with pytest.raises(SiteRefused) as refused:
        each_site(["helsenorge.no", "www.exa mple.no"])
    assert (refused.value.reason, refused.value.typed) == ("site_host", "www.exa mple.no")
    with pytest.raises(SiteRefused) as none:
        each_site([])
    assert none.value.reason == "site_none"


@pytest.mark.parametrize("typed", ["", "  \n ", ",,"])
def test_a_new_token_needs_a_site(typed: str) -> None:
    with pytest.raises(SiteRefused) as refused:
        sites(typed)
    assert refused.value.reason == "site_none"


def test_a_token_names_at_most_the_limit_of_sites() -> None:
    assert len(sites(" ".join(f"s{n}.no" for n in range(SITES_LIMIT)))) == SITES_LIMIT
    with pytest.raises(SiteRefused) as refused:
        sites(" ".join(f"s{n}.no" for n in range(SITES_LIMIT + 1)))
    assert refused.value.reason == "site_many"


def test_the_first_refused_entry_is_named() -> None:
    with pytest.raises(SiteRefused) as refused:
        sites("www.fhi.no\nhttps://www.fhi.no/rapporter\nftp://x.no")
    assert (refused.value.reason, refused.value.typed) == (
        "site_path",
        "https://www.fhi.no/rapporter",
    )


FHI = ("www.fhi.no",)
COVERED = [
    (FHI, "https://www.fhi.no/rapporter/ny", True),
    (FHI, "http://www.fhi.no/rapporter/ny", True),  # varsel's page_key: the same page
    (FHI, "https://WWW.FHI.NO/Rapporter", True),  # a host is case-blind
    (FHI, "https://www.fhi.no./rapporter", True),  # the same name in DNS
    (FHI, "https://www.fhi.no:443/rapporter", True),
    (FHI, "http://www.fhi.no:80/rapporter", True),
    (FHI, "http://www.fhi.no:443/", False),  # each scheme's own default: http on 443 is not it
    (FHI, "https://www.fhi.no:80/", False),
    (FHI, "http://www.fhi.no%2e/x", False),  # no host name at all
    (FHI, "https://kari@www.fhi.no/x", True),  # a user name is not the site
    (("www.fhi.no:443",), "http://www.fhi.no:443/x", True),
    (("www.fhi.no:443",), "https://www.fhi.no/x", False),
    (FHI, "https://www.fhi.no:8443/rapporter", False),  # another port: another server
    (FHI, "https://fhi.no/rapporter", False),  # a parent is another site
    (FHI, "https://innsyn.www.fhi.no/", False),  # a subdomain is another site
    (FHI, "https://www.fhi.no.evil.example/", False),
    (FHI, "https://evil.example/www.fhi.no", False),
    (FHI, "https://evil.example/?u=https://www.fhi.no", False),
    (FHI, "https://www.fhi.no@evil.example/", False),
    (FHI, "https://www.fhi.nо/", False),  # a Cyrillic о: another name
    (FHI, "not an address", False),
    (FHI, "https://www.fhi.no:99999/", False),
    (("intranett.fhi.no:8443",), "https://intranett.fhi.no:8443/side", True),
    (("intranett.fhi.no:8443",), "https://intranett.fhi.no/side", False),
    (("bærum.kommune.no",), "https://xn--brum-voa.kommune.no/side", True),
    (("bærum.kommune.no",), "https://BÆRUM.kommune.no/side", True),
    (("[::1]:8080",), "http://[::1]:8080/side", True),
    (("[::1]:8080",), "http://[::2]:8080/side", False),
    (("[::1]:8080",), "http://[0:0::1]:8080/side", True),
    (("www.fhi.no", "helsenorge.no"), "https://helsenorge.no/x", True),
    (None, "https://evil.example/", True),  # issued before sites: every site
    ((), "https://www.fhi.no/", False),
]


@pytest.mark.parametrize(("kept", "address", "within"), COVERED)
def test_an_address_is_within_a_token_s_sites_by_its_host_and_port(
    kept: tuple[str, ...] | None, address: str, within: bool
) -> None:
    assert covers(kept, address) is within
