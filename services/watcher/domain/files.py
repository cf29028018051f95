"""Bodies that are files, not text: an image, a PDF or an archive where a page or feed was
expected, or bytes with no format at all served as a page.

Parsed as HTML, such a body still gives "text" (lxml reads whatever bytes it is given), and
every new image or build of the file would then read as a changed page: an alert with garbage
for a summary. A web page or a feed is text; a file is refused before any parsing, as a poll
that read nothing, so it can never be a change.

A body is a file if it starts with a file format's signature, which no text starts with; or if
the server says it is one (an image, audio, video, font, PDF or archive type, or just
"application/octet-stream") and its first bytes hold a NUL, which none of the web's text
encodings writes outside UTF-16 (and a UTF-16 body starts with its byte order mark). Text with
stray control characters, which publishers' systems do write, is read as before: refusing it
would lose their news. Written here rather than taken from a library: the signatures and the
test are a dozen lines, and the sniffing libraries answer "which type" where the question is
"text or not" (WHATWG MIME Sniffing, section 7, tells the two apart the same way).

A page's body with no signature (a compressed body whose encoding header was lost, a damaged
or cut-off file) is refused once it is decoded, if its text is binary data: at least one
character in 25 a control character that no text writes, where random bytes hold one in ten
in whatever charset they are read and a page with stray control characters a few in
thousands. charset-normalizer's ``is_binary`` answers from five samples of the bytes, costs
up to 30 ms a body, and calls a UTF-8 page holding a NUL and two stray control characters
binary; the count here is of the very text the parser would be given, in microseconds.

A page's address that answers JSON (a CMS's error object, an API's data) is no web page either:
read as HTML, its text is the JSON itself, and a trace id or timestamp in it changes with each
answer. A body that opens with «{» or «[» is refused when it is served as JSON or parses as JSON;
text that merely opens with a bracket is read as before.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Final

from services.watcher.domain.model import ContentError

_SIGNATURES: Final = {
    b"%PDF-": "a PDF file; make the source a PDF",
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"PK\x03\x04": "a ZIP archive or office document",
    b"\x1f\x8b": "a gzip file",
    b"\xd0\xcf\x11\xe0": "an old office document",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"wOFF": "a font",
    b"wOF2": "a font",
}
_RIFF: Final = re.compile(rb"RIFF....(WEBP|AVI |WAVE)", re.DOTALL)
_MEDIA: Final = re.compile(rb"....ftyp", re.DOTALL)  # MP4, MOV, HEIC, AVIF
_FILE_TYPES: Final = re.compile(
    r"\s*(image|audio|video|font)/|\s*application/(pdf|zip|gzip|x-gzip|octet-stream)\b",
    re.IGNORECASE,
)
_JSON_TYPE: Final = re.compile(r"\s*application/([\w.-]+\+)?json\s*(;|$)", re.IGNORECASE)
_SNIFFED: Final = 1445  # bytes looked at: WHATWG's resource header
# WHATWG MIME Sniffing's "binary data bytes" (section 3): the control characters no text
# writes. Tab, line feed, form feed, carriage return and escape (ISO-2022-JP's) are not among
# them. In UTF-8 each is the one byte it is, and no other character's bytes hold one.
_BINARY_DATA: Final = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_SHARE: Final = 1 / 25  # of the text's characters: random bytes hold 27 in 256
_BINARY_FEWEST: Final = 16  # fewer are stray, however short the body


def refuse_files(kind: str, body: bytes, content_type: str | None) -> None:
    """Raise ContentError if the body of a page or feed is a file, not text."""
    for signature, what in _SIGNATURES.items():
        if body.startswith(signature):
            raise ContentError(f"{kind}: the address answers {what}, not a web {kind}")
    if _RIFF.match(body) or _MEDIA.match(body):
        raise ContentError(f"{kind}: the address answers a media file, not a web {kind}")
    served_as_file = content_type is not None and _FILE_TYPES.match(content_type) is not None
    utf16 = body.startswith((b"\xfe\xff", b"\xff\xfe"))  # UTF-16 text holds NULs
    if served_as_file and not utf16 and b"\x00" in body[:_SNIFFED]:
        assert content_type is not None
        essence = content_type.split(";", 1)[0].strip()[:100]
        served = "".join(c for c in essence if c.isprintable())
        raise ContentError(f"{kind}: the address answers a file ({served}), not a web {kind}")


def refuse_binary_text(kind: str, text: str, utf8: bytes | None = None) -> None:
    """Raise ContentError if a body's decoded text is binary data, not text.

    ``utf8`` is the body when the text is the whole of it read as UTF-8: it is not encoded again.
    """
    encoded = utf8 if utf8 is not None else text.encode("utf-8", "surrogatepass")
    found = len(encoded) - len(encoded.translate(None, _BINARY_DATA))
    if found >= _BINARY_FEWEST and found >= len(text) * _BINARY_SHARE:
        share = found / len(text)
        raise ContentError(
            f"{kind}: the address answers binary data, not text ({share:.0%} of its characters"
            " are control characters: a compressed, damaged or other file served as text)"
        )


def refuse_json(kind: str, body: bytes, content_type: str | None) -> None:
    """Raise ContentError if the body of a page is JSON data, not a web page."""
    start = body[:_SNIFFED].removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if not start.startswith((b"{", b"[")):
        return
    if content_type is None or _JSON_TYPE.match(content_type) is None:
        try:
            json.loads(body)
        except (ValueError, RecursionError):  # not JSON (or nested deeper than is parsed)
            return
    raise ContentError(f"{kind}: the address answers JSON data, not a web {kind}")
