"""A wrong catalogue stops start-up with a message naming the file, the entry and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.catalogue_addresses import address_refusal, has_reachable_host
from shared.catalogue_checks import CatalogueError
from shared.catalogue_entries import STORED, Source, Topic
from shared.catalogue_file import load_catalogue
from shared.intervals import parse_interval

GOOD = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", en = "Norway in the world" }
section = { nb = "Folkehelseinstituttet", en = "Norwegian Institute of Public Health" }
description = { nb = "Global helse.", nn = "Global helse.", en = "Global health." }
related = ["pa-tvers-av-sektorer"]

[[topics]]
slug = "pa-tvers-av-sektorer"
title = { nb = "På tvers av sektorer" }

[[sources]]
url = "https://www.fhi.no/norge-i-verden/"
kind = "page"
topics = ["norge-i-verden"]
interval = "15m"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "varsel.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_catalogue_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    topic = catalogue.topic("norge-i-verden")
    assert topic is not None
    assert topic.title_in("en") == "Norway in the world"
    assert catalogue.topic("pa-tvers-av-sektorer").title_in("en") == "På tvers av sektorer"  # type: ignore[union-attr]
    assert catalogue.sources[0].interval == 900


def test_section_and_description_fall_back_to_bokmal(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    topic = catalogue.topic("norge-i-verden")
    assert topic is not None
    assert topic.section_in("en") == "Norwegian Institute of Public Health"
    assert topic.section_in("nn") == "Folkehelseinstituttet"
    assert topic.description_in("nn") == "Global helse."
    bare = catalogue.topic("pa-tvers-av-sektorer")
    assert bare is not None
    assert bare.section_in("nb") is None
    assert bare.description_in("en") == ""


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('topics = ["norge-i-verden"]', 'topics = ["norge-i-verdne"]'),
            "[[sources]] entry 1 (https://www.fhi.no/norge-i-verden/): "
            "unknown topic(s) ['norge-i-verdne']",
        ),
        (('interval = "15m"', 'interval = "often"'), "interval"),
        (
            ('kind = "page"\n', ""),
            "[[sources]] entry 1 (https://www.fhi.no/norge-i-verden/): kind: Field required",
        ),
        (('kind = "page"', 'kind = "video"'), "kind"),
        (('url = "https://www.fhi.no/norge-i-verden/"', 'url = "ftp://example.no/x"'), "http"),
        (('url = "https://www.fhi.no/norge-i-verden/"', 'url = "https://fhi.no/\\u0000"'), "http"),
        (('interval = "15m"', 'interval = "366d"'), "at most 365 days"),
        (
            ('related = ["pa-tvers-av-sektorer"]', 'related = ["ukjent"]'),
            "related topic 'ukjent' is not declared",
        ),
        (('slug = "pa-tvers-av-sektorer"', 'slug = "norge-i-verden"'), "declared more than once"),
        (('title = { nb = "På tvers av sektorer" }', 'title = { en = "Across" }'), "bokmål"),
        (('slug = "norge-i-verden"', 'slug = "Norge i verden"'), "slug"),
        # A line break after it is no slug either, though «$» in a pattern lets one through.
        (
            ('slug = "norge-i-verden"', 'slug = "norge-i-verden\\n"'),
            "slug: Value error, a slug is lower-case letters, digits and single hyphens",
        ),
        (
            ('section = { nb = "Folkehelseinstituttet", ', "section = { "),
            "[[topics]] entry 1 (norge-i-verden): section: Value error, a section needs at "
            "least a Norwegian bokmål text",
        ),
        (('section = { nb = "Folkehelseinstituttet"', 'section = { xx = "Folk"'), "unknown"),
        (('section = { nb = "Folkehelseinstituttet"', 'section = { nb = "  "'), "empty"),
        (('section = { nb = "Folkehelseinstituttet", ', 'section = "FHI"\nx = { '), "section"),
        (('description = { nb = "Global helse.", ', "description = { "), "description"),
        (('nn = "Global helse."', 'de = "Globale Gesundheit"'), "unknown language"),
        (('en = "Global health."', 'en = ""'), "description in ['en'] is empty"),
        # Zero-width spaces and joiners alone show nothing: the sign-up box has no label.
        (
            ('title = { nb = "På tvers av sektorer" }', 'title = { nb = "\\u200b\\u200b" }'),
            "title in ['nb'] is empty",
        ),
        (('section = { nb = "Folkehelseinstituttet"', 'section = { nb = " \\u2060"'), "empty"),
        (
            ('interval = "15m"', 'interval = "15m"\nselector = "main >>> [["'),
            "[[sources]] entry 1 (https://www.fhi.no/norge-i-verden/): selector 'main >>> [[' "
            "is not a CSS selector",
        ),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    message = str(error.value)
    assert message.startswith(str(path))
    assert expected in message


def test_a_missing_file_and_broken_toml_are_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="configuration file not found"):
        load_catalogue(tmp_path / "absent.toml")
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue(_write(tmp_path, "[[topics]\nslug ="))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('topics = ["norge-i-verden"]', "[[topics]] entry 1 (#1): entry: Input should be"),
        (
            'sources = [3, "https://www.fhi.no/"]\n[[topics]]\nslug = "a"\ntitle = { nb = "A" }',
            "[[sources]] entry 2 (#2): entry: Input should be",
        ),
    ],
)
def test_an_entry_written_as_no_table_is_named(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(CatalogueError) as error:
        load_catalogue(_write(tmp_path, text))
    assert expected in str(error.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    broken = GOOD.replace('interval = "15m"', 'interval = "0s"').replace(
        'related = ["pa-tvers-av-sektorer"]', 'related = ["ukjent"]'
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(_write(tmp_path, broken))
    assert "interval" in str(error.value)
    assert "ukjent" in str(error.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2s", 2),
        ("15m", 900),
        ("1h", 3600),
        ("1d", 86400),
        (30, 30),
        ("365d", 365 * 86400),
        # Seconds, as the catalogue stores them, may be more: a stored catalogue always loads.
        (400 * 86400, 400 * 86400),
    ],
)
def test_intervals(text: str | int, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "15", "m", "1.5h", "-1s", "0s", "1w", True, "366d", "99999999999999d", 2**31]
)
def test_bad_intervals_are_refused(text: str | int) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def test_the_bundled_default_catalogue_is_valid() -> None:
    path = Path(__file__).resolve().parents[3] / "varsel" / "default_catalogue.toml"
    catalogue = load_catalogue(path)
    kinds = {source.kind for source in catalogue.sources}
    assert kinds == {"page", "feed", "pdf"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://kari:hemmelig@www.fhi.no/norge-i-verden/"',
            "(https://www.fhi.no/norge-i-verden/): url: Value error, holds a user name or password",
        ),
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://www.fhi.no/norge-\u200bi-verden/"',
            "url: Value error, holds an invisible format character",
        ),
        (
            'related = ["pa-tvers-av-sektorer"]',
            'related = ["pa-tvers-av-sektorer"]\npage = "https://kari:hemmelig@www.fhi.no/x"',
            "(norge-i-verden): page: Value error, holds a user name or password",
        ),
        (
            'related = ["pa-tvers-av-sektorer"]',
            'related = ["pa-tvers-av-sektorer"]\npage = "https://www.fhi.no/\u202efdp.x"',
            "(norge-i-verden): page: Value error, holds an invisible format character",
        ),
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://www.fhi.no:99999/norge-i-verden/"',
            "url: Value error, has a port no connection can use (a port is a number from 1 to",
        ),
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://www.fhi.no:0/norge-i-verden/"',
            "url: Value error, has a port no connection can use",
        ),
        (
            'related = ["pa-tvers-av-sektorer"]',
            'related = ["pa-tvers-av-sektorer"]\npage = "https://www.fhi.no:65536/x"',
            "(norge-i-verden): page: Value error, has a port no connection can use",
        ),
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://[::1/norge-i-verden/"',
            "url: Value error, names no host a request can reach",
        ),
        (
            'url = "https://www.fhi.no/norge-i-verden/"',
            'url = "https://www.fhi..no/norge-i-verden/"',
            "url: Value error, names no host a request can reach",
        ),
        (
            'related = ["pa-tvers-av-sektorer"]',
            'related = ["pa-tvers-av-sektorer"]\npage = "https://www.f hi.no/x"',
            "(norge-i-verden): page: Value error, names no host a request can reach",
        ),
    ],
)
def test_an_address_with_a_password_an_invisible_character_or_no_usable_port_is_refused(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write(tmp_path, GOOD.replace(old, new)))
    assert expected in str(caught.value)
    # The password is named nowhere: not on the terminal, not in what a page words.
    assert "hemmelig" not in str(caught.value)
    assert "hemmelig" not in str(caught.value.problems)


@pytest.mark.parametrize("url", ["https://kari:pw@example.org/", "http://a..b/"])
def test_entries_read_back_from_the_database_load_as_they_were_written(url: str) -> None:
    # Checked when written by the rules of their day; a file or an edit replaces them.
    stored = {"url": url, "kind": "page", "topics": ["a"]}
    assert Source.model_validate(stored, context=STORED).url == stored["url"]
    with pytest.raises(ValidationError):
        Source.model_validate(stored)


@pytest.mark.parametrize(
    ("url", "reachable"),
    [
        ("https://www.fhi.no/side", True),
        ("https://www.fhi.no./side", True),
        ("http://localhost:8001/side", True),
        ("http://cms_01.intern/side", True),  # an intranet's name, as page_urls keeps it
        ("https://bærum.kommune.no/", True),
        ("https://ＦＨＩ.no/", True),
        ("http://127.0.0.1:8080/", True),
        ("http://[::1]:8080/", True),
        ("http://[2001:db8::1]/", True),
        ("https://" + "a" * 63 + ".no/", True),
        ("HTTPS://WWW.FHI.NO/", True),
        ("https://www.fhi.no\u3002/", True),  # an ideographic full stop, mapped as IDNA maps it
        # Each of these failed every poll: «invalid URL», «not a valid host name».
        ("http://[::1/", False),
        ("http://[::g]/", False),
        ("http://[fe80::1%25eth0]/", True),  # private: refused unless private ones may be
        ("http://a..b/", False),
        ("http://.fhi.no/", False),
        ("http://exa mple.no/", False),
        ("http://exa!mple.no/", False),
        ("https://" + "a" * 64 + ".no/", False),
        ("https://" + ".".join(["a" * 50] * 5) + "/", False),  # 254 characters: past 253
        ("https://a\u00adb\u0378.no/", False),
        # Read as 127.0.0.1 by some resolvers and not others: only four decimals are one.
        ("http://127.1/", False),
        ("http://2130706433/", False),
        ("http://0x7f000001/", False),
        ("http://017700000001/", False),
        ("http://010.0.0.7/", False),
        ("http://256.0.0.1/", False),
        ("http://www.fhi.no.1/", False),
        ("http://127\u30021/", False),  # 127.1 once mapped, as the address is kept
        ("http://127\uff0e1/", False),
        ("http://\uff10x7f000001/", False),
    ],
)
def test_an_address_names_a_host_a_request_can_reach(url: str, reachable: bool) -> None:
    assert has_reachable_host(url) is reachable


@pytest.mark.parametrize("url", ["HTTPS://WWW.FHI..NO/x", "Http://a..b/"])
def test_a_scheme_in_capitals_is_no_way_past_the_host_check(url: str) -> None:
    # Kept lowered (the publisher API's normal form): «https://www.fhi..no/x» failed every poll.
    assert address_refusal(url) is not None
    assert "names no host a request can reach" in str(address_refusal(url))


def test_direction_overrides_controls_and_noncharacters_in_a_topic_s_texts_are_left_out() -> None:
    # U+202E would make "Vaksiner fdp.nosrep" read "Vaksiner person.pdf" on the public pages,
    # and no page or mail that holds a noncharacter (U+FFFE, U+FDD0) is valid HTML.
    topic = Topic.model_validate(
        {
            "slug": "vaksiner",
            "title": {"nb": "Vaksiner \u202efdp.nosrep\u202c\ufffe", "en": "\x00\ufdd0Vaccines"},
            "section": {"nb": "\ufeffInstitutt\uffffet\U0010ffff"},
            "description": {"nb": "Om \u2066vaksiner\u2069.\ufdef\nTo linjer.\U0001fffe"},
        }
    )
    assert topic.title == {"nb": "Vaksiner fdp.nosrep", "en": "Vaccines"}
    assert topic.section == {"nb": "Instituttet"}
    assert topic.description == {"nb": "Om vaksiner.\nTo linjer."}


def test_a_title_of_nothing_but_an_override_is_empty() -> None:
    with pytest.raises(ValidationError, match="empty"):
        Topic.model_validate({"slug": "a", "title": {"nb": "\u202e"}})


def _feed(url: str) -> str:
    return f'\n[[sources]]\nurl = "{url}"\nkind = "feed"\ntopics = ["norge-i-verden"]\n'


@pytest.mark.parametrize(
    "spelling",
    [
        "https://WWW.FHI.no/norge-i-verden/",
        "https://www.fhi.no/norge-i-verden",
        "https://www.fhi.no/norge-i-verden/#nytt",
        "https://www.fhi.no/norge-i-verden/?utm_source=nyhetsbrev",
    ],
)
def test_the_same_page_under_another_spelling_is_refused(tmp_path: Path, spelling: str) -> None:
    twice = GOOD + _feed(spelling)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write(tmp_path, twice))
    assert (
        f"[[sources]] url {spelling!r} is the page 'https://www.fhi.no/norge-i-verden/' watches,"
        " under another spelling" in str(caught.value)
    )
    assert [p.values for p in caught.value.problems] == [{"source": spelling}]


def test_the_same_address_twice_is_named_once(tmp_path: Path) -> None:
    source = _feed("https://www.fhi.no/norge-i-verden/")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write(tmp_path, GOOD + source + source))
    assert str(caught.value).count("is declared more than once") == 1


def test_pages_apart_are_not_one_page(tmp_path: Path) -> None:
    other = _feed("https://www.fhi.no/norge-i-verden/?side=2")
    assert len(load_catalogue(_write(tmp_path, GOOD + other)).sources) == 2


def test_a_title_of_zero_width_characters_stored_before_it_was_refused_still_loads() -> None:
    entry = {"slug": "usynlig", "title": {"nb": "\u200b\u200b"}}
    with pytest.raises(ValidationError, match="empty"):
        Topic.model_validate(entry)
    # Read back from the database it loads as it was saved, so an edit can replace it.
    assert Topic.model_validate(entry, context=STORED).title == {"nb": "\u200b\u200b"}
