"""A page or feed address that answers a file (an image, a PDF, an archive) reads nothing, so a
new image or build of the file is never a change; text still reads, in any of the web's
encodings and with the stray control characters publishers' systems write."""

from __future__ import annotations

import io
import lzma
import random
import zipfile
import zlib
from pathlib import Path

import pytest

from services.watcher.domain.content import ContentError, parse_content

FIXTURES = Path(__file__).parents[2] / "fixtures" / "watcher"
PAGE = (FIXTURES / "pages" / "fhi_norge_i_verden.html").read_bytes()
PDF = (FIXTURES / "pdf" / "rapport_2019.pdf").read_bytes()


def _png(seed: int) -> bytes:
    """A small PNG image: the signature, then chunks whose lengths are big-endian (NULs)."""
    pixels = random.Random(seed).randbytes(3 * 64 * 64)
    header = b"\x00\x00\x00\x0dIHDR\x00\x00\x00\x40\x00\x00\x00\x40\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + header + b"\x00\x00\x00\x00IDAT" + zlib.compress(pixels)


def _docx() -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>Rapport</w:document>")
    return packed.getvalue()


def _random_with_nul(seed: int) -> bytes:
    """Bytes no format names, as an unknown file type has: a NUL among its first."""
    body = random.Random(seed).randbytes(20_000)
    return body[:100] + b"\x00" + body[101:]


@pytest.mark.parametrize("kind", ["page", "feed"])
@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (_png(1), "image/png", "a PNG image"),
        (_png(2), "text/html; charset=utf-8", "a PNG image"),
        (PDF, "application/pdf", "a PDF file; make the source a PDF"),
        (PDF, "text/html", "a PDF file"),
        (_docx(), "application/vnd.openxmlformats", "a ZIP archive"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(500), None, "a JPEG image"),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 " + bytes(500), "image/webp", "a media file"),
        (_random_with_nul(3), "application/octet-stream", r"a file \(application/octet-stream\)"),
        (_random_with_nul(4), "video/x-unknown", r"a file \(video/x-unknown\)"),
    ],
    ids=["png", "png-as-html", "pdf", "pdf-as-html", "docx", "jpeg", "webp", "octets", "video"],
)
def test_a_file_reads_nothing(
    kind: str, body: bytes, content_type: str | None, reason: str
) -> None:
    with pytest.raises(ContentError, match=reason) as refused:
        parse_content(kind, body, content_type=content_type)  # type: ignore[arg-type]
    assert refused.value.reason == "unreadable"


def test_every_new_image_at_a_page_address_stays_unreadable() -> None:
    # What sent an alert every poll before: each new image read as a changed "page".
    for seed in range(20):
        with pytest.raises(ContentError, match="PNG"):
            parse_content("page", _png(seed), content_type="image/png")


def test_the_served_type_in_the_reason_holds_no_control_character() -> None:
    with pytest.raises(ContentError) as refused:
        parse_content("page", _random_with_nul(5), content_type="video/x\x1b[31m\r\nX-Evil: 1")
    assert (
        str(refused.value)
        == "page: the address answers a file (video/x[31mX-Evil: 1), not a web page"
    )


@pytest.mark.parametrize(
    ("prefix", "content_type"),
    [
        (b"", "application/octet-stream"),  # a page served with the wrong type still reads
        (b"\x01\x1b\x0b", "text/html"),  # stray control characters before the page
        (b"\x00", "text/html; charset=utf-8"),  # even a NUL, served as text
    ],
    ids=["octet-stream", "controls", "nul-as-text"],
)
def test_text_with_a_wrong_type_or_stray_controls_still_reads(
    prefix: bytes, content_type: str
) -> None:
    content = parse_content("page", prefix + PAGE, content_type=content_type)
    assert content.blocks


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-8-sig", "iso-2022-jp", "windows-1252"]
)
def test_a_page_in_any_of_the_webs_encodings_still_reads(encoding: str) -> None:
    text = (
        f'<!doctype html><html lang="nb"><head><meta charset="{encoding}"><title>Rapport</title>'
        "</head><body><main><article><h1>Årsrapport 2025</h1><p>Folkehelseinstituttet har "
        "publisert en ny rapport om helsetilstanden i Norge, med tall for alle fylker.</p>"
        "</article></main></body></html>"
    )
    if encoding == "iso-2022-jp":
        text = text.replace("Årsrapport", "年次報告").replace("Folkehelseinstituttet", "研究所")
    body = text.encode(encoding)
    if encoding == "utf-16-le":
        body = b"\xff\xfe" + body  # as servers send it: with its byte order mark
    # Served as a file type too: UTF-16's NULs do not make it one.
    content = parse_content("page", body, content_type="application/octet-stream")
    assert any("helsetilstanden" in block for block in content.blocks)


NYNORSK = (
    '<!doctype html><html lang="nn"><head>{meta}<title>Nytt frå Helsedirektoratet</title>'
    "</head><body><main><article><h1>Ålmenn tilråding om kosthald</h1><p>Born og unge bør "
    "eta grønsaker kvar dag. Sjå òg «rettleiaren» for barnehagar og skular – æ ø å Æ Ø Å."
    "</p></article></main></body></html>"
)


def _binary_bodies() -> dict[str, bytes]:
    """Bodies no signature names: what a page address answers when a server errs."""
    noise = random.Random(7).randbytes(20_000)
    return {
        "random": noise,
        "random-without-nul": noise.replace(b"\x00", b""),
        "deflate": zlib.compress(PAGE),  # compressed, its Content-Encoding lost
        "xz": lzma.compress(PAGE * 3),
        "page-then-noise": PAGE[:3_000] + noise,  # a page cut off into a damaged file
        "short-noise": random.Random(8).randbytes(600),
    }


@pytest.mark.parametrize("name", list(_binary_bodies()))
@pytest.mark.parametrize(
    "content_type", ["text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1"]
)
def test_binary_data_served_as_a_page_reads_nothing(name: str, content_type: str) -> None:
    with pytest.raises(ContentError, match="answers binary data, not text") as refused:
        parse_content("page", _binary_bodies()[name], content_type=content_type)
    assert refused.value.reason == "unreadable"
    assert str(refused.value).isprintable()  # a line an operator reads, nothing of the body


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (NYNORSK.format(meta="").encode("windows-1252"), "text/html; charset=windows-1252"),
        (NYNORSK.format(meta="").encode("latin-1", "replace"), "text/html; charset=iso-8859-1"),
        (NYNORSK.format(meta='<meta charset="windows-1252">').encode("cp1252"), "text/html"),
        (NYNORSK.format(meta="").encode("cp1252"), "text/html"),  # no charset at all
        (b"\xef\xbb\xbf" + NYNORSK.format(meta="").encode(), "text/html; charset=utf-8"),
        (NYNORSK.format(meta="").encode("utf-16-le"), "text/html; charset=utf-16le"),
        # Stray control characters, a NUL among them, as publishers' systems write them.
        (NYNORSK.format(meta="").replace("dag.", "dag.\x00\x0b\x1b").encode(), "text/html"),
        (NYNORSK.format(meta="").replace("å", "å\x02").encode("cp1252"), "text/html"),
    ],
    ids=[
        "windows-1252", "latin-1", "meta-charset", "undeclared-cp1252", "utf-8-bom",
        "utf-16-declared", "utf-8-stray-controls", "cp1252-a-control-per-å",
    ],
)  # fmt: skip
def test_real_pages_in_nynorsk_still_read(body: bytes, content_type: str) -> None:
    content = parse_content("page", body, content_type=content_type)
    assert content.title.startswith("Ålmenn tilr")  # its «å» read as «å», not as noise
    assert any("Born og unge bør eta grønsaker" in block for block in content.blocks)


def test_a_page_with_fewer_stray_controls_than_noise_has_reads_however_short() -> None:
    # Fifteen control characters in a page of a few dozen: stray, not a file.
    body = "\x01" * 15 + "<h1>Ålmenn tilråding</h1><p>Born og unge bør eta grønsaker.</p>"
    content = parse_content("page", body.encode(), content_type="text/html")
    assert any("Born og unge bør eta grønsaker." in block for block in content.blocks)


_JSON_ERROR = (
    b'{"error": {"code": "CONTENT_UNAVAILABLE", "message": "The content delivery API could not'
    b' render this page right now. Please try again later.", "traceId": "00-4bf92f3577b34da6a3'
    b'ce929d0e0e4736-00f067aa0ba902b7-01"}}'
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_JSON_ERROR, "application/json; charset=utf-8"),
        (_JSON_ERROR, "text/html; charset=utf-8"),  # a CMS's error, served with the page's type
        (b"\xef\xbb\xbf\n  " + _JSON_ERROR, None),
        (b'[{"id": 1, "title": "Vaksinasjonsprogrammet for barn og unge"}]', "text/html"),
        (b'{"type": "about:blank", "title": "Service Unavailable"', "application/problem+json"),
    ],
    ids=["json", "json-as-html", "bom-and-spaces", "array", "cut-off-problem-json"],
)
def test_json_at_a_page_address_reads_nothing(body: bytes, content_type: str | None) -> None:
    # What alerted every follower with the raw JSON for a summary: a page that answered its
    # CMS's error as JSON, and again whenever a trace id in it changed.
    with pytest.raises(ContentError, match="answers JSON data, not a web page") as refused:
        parse_content("page", body, content_type=content_type)
    assert refused.value.reason == "unreadable"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[Oppdatert] " + PAGE, "text/html"),  # text that opens with a bracket, not JSON
        (PAGE, "application/json"),  # a page served with the wrong type still reads
    ],
    ids=["bracket", "html-as-json"],
)
def test_a_page_that_only_looks_like_json_still_reads(body: bytes, content_type: str) -> None:
    assert parse_content("page", body, content_type=content_type).blocks
