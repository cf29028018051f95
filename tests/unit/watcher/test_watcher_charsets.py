"""How a page's bytes are read as text: by its labels, its byte order mark, its stray bytes,
and, for sources stored before extraction 3, as they were read then."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import compare, parse_content


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [("text/html; charset=iso-8859-1", ""), (None, '<meta charset="windows-1252">')],
)
def test_latin1_pages_are_decoded_by_header_or_meta(content_type: str | None, meta: str) -> None:
    body = (
        f"<html><head>{meta}<title>Sårbarhet</title></head><body><main><h1>Sårbarhet</h1>"
        "<p>Klimaendringene viser at vi alle har en felles sårbarhet i både rike og fattige "
        "land.</p></main></body></html>"
    ).encode("latin-1")

    content = parse_content("page", body, content_type=content_type)

    assert content.title == "Sårbarhet"
    assert "felles sårbarhet" in content.blocks[1]


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("text/html; charset=utf-8", '<meta charset="windows-1252">'),
        ("text/html; charset=iso-8859-1", ""),
        (None, '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
        (None, '<meta charset="utf-16">'),
        (None, ""),
        # A template's unset variable: Python's codec «undefined» refuses every byte, and the
        # poll failed as «unexpected error: UnicodeError reading the body», at every poll.
        ("text/html; charset=undefined", ""),
        ("text/html; charset=Undefined", '<meta charset="utf-8">'),
        (None, '<meta charset="undefined">'),
        ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=undefined">'),
    ],
)
@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0" encoding="iso-8859-1"?>\n'])
def test_a_utf8_page_reads_as_utf8_whatever_its_labels_say(
    content_type: str | None, head: str, declaration: str
) -> None:
    # A UTF-8 body goes to the parser as bytes; no label inside it may change its reading.
    body = (
        f"{declaration}<html><head>{head}<title>Blåbær – «sitat»</title></head><body><main>"
        "<h1>Blåbær – «sitat»</h1><p>Ville bær fra skog og myr 😀 er trygge å spise for de "
        "fleste.</p></main></body></html>"
    ).encode()

    content = parse_content("page", body, content_type=content_type)

    assert content.title == "Blåbær – «sitat»"
    assert content.blocks == (
        "Blåbær – «sitat»",
        "Ville bær fra skog og myr 😀 er trygge å spise for de fleste.",
    )


_BLUEBERRIES = (
    "<!doctype html><html><head>{meta}<title>Blåbær</title></head><body><main>"
    "<h1>Blåbær og tyttebær</h1><p>Ville bær fra skog og myr er trygge å spise for de fleste,"
    " sier {quoted}.</p></main></body></html>"
)


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=utf-8", ""),
        (None, '<meta charset="utf-8">'),
        ("text/html; charset=UTF-8", '<meta charset="iso-8859-1">'),
        (None, ""),
    ],
)
def test_a_utf8_page_with_a_stray_windows_1252_byte_reads_as_without_it(
    content_type: str | None, meta: str
) -> None:
    # A «’» pasted from a word processor, saved as windows-1252 into a UTF-8 page: the page
    # read as windows-1252 as a whole («BlÃ¥bÃ¦r»), and «changed» whenever the byte came or went.
    page = _BLUEBERRIES.format(meta=meta, quoted="Mattilsynet i «Råd om bær»")
    clean = page.replace("«Råd om bær»", "\u2019Råd om bær\u2019").encode()
    stray = clean.replace("\u2019".encode(), "\u2019".encode("cp1252"))  # b"\x92"

    read, read_clean = (parse_content("page", b, content_type=content_type) for b in (stray, clean))

    assert read.title == "Blåbær og tyttebær"
    assert read.blocks[1] == (
        "Ville bær fra skog og myr er trygge å spise for de fleste, sier Mattilsynet i"
        " \u2019Råd om bær\u2019."
    )
    assert read.fingerprint == read_clean.fingerprint
    assert compare(read_clean, read).changed is False


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=iso-8859-1", ""),
        (None, '<meta charset="latin1">'),
        ("text/html; charset=us-ascii", ""),
    ],
)
def test_a_latin1_label_reads_quotes_and_dashes_as_windows_1252(
    content_type: str | None, meta: str
) -> None:
    # Browsers read these labels as windows-1252: read as Latin-1, its «’» and «–» were
    # control characters, and the page differed from its UTF-8 self at every flip between them.
    page = _BLUEBERRIES.format(meta=meta, quoted="Mattilsynet \u2013 \u201eRåd om bær\u201d")
    served = page.encode("cp1252")

    read = parse_content("page", served, content_type=content_type)
    as_utf8 = parse_content("page", page.encode(), content_type="text/html; charset=utf-8")

    assert read.blocks[1].endswith("sier Mattilsynet \u2013 \u201eRåd om bær\u201d.")
    assert read.fingerprint == as_utf8.fingerprint


def test_pages_stored_before_they_were_decoded_as_browsers_do_read_as_they_did() -> None:
    # A source stored under extraction 2 is judged by it once more (docs/decisions/0017).
    page = _BLUEBERRIES.format(meta="", quoted="Mattilsynet \u2013 i dag")
    served = page.encode("cp1252")

    before = parse_content("page", served, content_type="text/html; charset=latin-1", extraction=2)
    now = parse_content("page", served, content_type="text/html; charset=latin-1")

    assert "Mattilsynet \x96 i dag" in before.blocks[1]
    assert "Mattilsynet \u2013 i dag" in now.blocks[1]


@pytest.mark.parametrize("meta", ["", '<meta charset="utf-16">', '<meta charset="utf-8">'])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8"])
def test_a_page_with_a_byte_order_mark_and_no_charset_is_read_by_its_mark(
    encoding: str, meta: str
) -> None:
    marks = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-8": b"\xef\xbb\xbf"}
    text = (
        f"<!doctype html><html><head>{meta}<title>Blåbær</title></head><body><main>"
        "<p>Ville bær fra skog og myr er trygge å spise for de fleste.</p></main></body></html>"
    )
    body = marks[encoding] + text.encode(encoding)
    for content_type in ("text/html", None):
        content = parse_content("page", body, content_type=content_type)
        assert content.title == "Blåbær"
        assert content.blocks == ("Ville bær fra skog og myr er trygge å spise for de fleste.",)


_UTF16_META = (
    '<meta charset="utf-16">',
    '<meta charset="UTF-16BE">',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-16le">',
)


@pytest.mark.parametrize("meta", _UTF16_META)
@pytest.mark.parametrize("pad", ["", " "])
def test_a_meta_naming_utf16_without_a_byte_order_mark_reads_as_utf8(meta: str, pad: str) -> None:
    # The HTML standard's prescan: a <meta> found in ASCII bytes cannot name UTF-16. Read as
    # UTF-16, the page was noise at an even length and text at an odd one.
    body = (_BLUEBERRIES.format(meta=meta, quoted="Mattilsynet") + pad).encode()

    content = parse_content("page", body, content_type="text/html")

    assert content.blocks[0] == "Blåbær og tyttebær"
    assert content.blocks[1].endswith("sier Mattilsynet.")


def test_a_meta_naming_utf16_reads_as_extraction_9_read_it_for_sources_stored_under_it() -> None:
    page = _BLUEBERRIES.format(meta='<meta charset="utf-16">', quoted="Mattilsynet").encode()
    even = page if len(page) % 2 == 0 else page + b" "

    before = parse_content("page", even, content_type="text/html", extraction=9)

    assert "Mattilsynet" not in " ".join(before.blocks)  # read as UTF-16, as released
    assert parse_content("page", even, content_type="text/html").blocks[1].endswith("Mattilsynet.")


def test_a_header_naming_utf16_still_reads_a_page_without_a_mark_as_utf16() -> None:
    # Only the prescan of the bytes is told UTF-8 for UTF-16; the server's label is taken as
    # it says (WHATWG), and a UTF-16 page may come without its mark.
    page = _BLUEBERRIES.format(meta='<meta charset="utf-16">', quoted="Mattilsynet")
    served = page.encode("utf-16-le")

    content = parse_content("page", served, content_type="text/html; charset=utf-16le")

    assert content.blocks[1].endswith("sier Mattilsynet.")
