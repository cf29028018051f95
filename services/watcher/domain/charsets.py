"""Read bytes as browsers read them where a label and the bytes disagree (WHATWG Encoding):
a page's body by its byte order mark, labels and bytes, and the stray bytes of a UTF-8 one."""

from __future__ import annotations

import codecs
import re


def _windows_1252(byte: int) -> str:
    """Return the character windows-1252 reads a byte as; its five holes as C1 (WHATWG)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_C1_AS_WINDOWS_1252 = {code: _windows_1252(code) for code in range(0x80, 0xA0)}
# surrogateescape reads a byte that fits no UTF-8 sequence as U+DC80-U+DCFF.
_ESCAPED_AS_WINDOWS_1252 = {chr(0xDC00 + code): _windows_1252(code) for code in range(0x80, 0x100)}
_ESCAPED_RE = re.compile("[\udc80-\udcff]")


def as_windows_1252(body: bytes) -> str:
    """Read a body as windows-1252, as browsers do (its holes as C1 characters)."""
    try:
        return body.decode("cp1252")  # in C; translating costs 60 times as much
    except UnicodeDecodeError:
        return body.decode("latin-1").translate(_C1_AS_WINDOWS_1252)


def utf8_with_stray_windows_1252(body: bytes) -> str:
    """Read a body as UTF-8, each byte that fits no UTF-8 sequence as windows-1252.

    One «’» pasted from a word processor into a UTF-8 page made the whole page read as
    windows-1252: every «å» became «Ã¥», and the page «changed» each time the byte came or
    went. A windows-1252 page served as UTF-8 reads as windows-1252 all the same.
    """
    text = body.decode("utf-8", "surrogateescape")
    if len(text) == len(body):  # no UTF-8 sequence in it, only bytes of windows-1252
        return as_windows_1252(body)
    return _ESCAPED_RE.sub(lambda stray: _ESCAPED_AS_WINDOWS_1252[stray[0]], text)


_LABEL_RE = re.compile(r"""charset\s*=\s*["']?([\w:.-]+)""", re.IGNORECASE)


def labelled_charset(content_type: str | None) -> str | None:
    """Return the charset a Content-Type header names, as written; None if it names none."""
    match = _LABEL_RE.search(content_type or "")
    return match[1] if match else None


def names_no_encoding(label: str) -> bool:
    """Tell whether a charset label is «undefined», a template's unset variable.

    Python knows a codec of that name, which refuses every byte: read with it, every poll of
    a page or feed so labelled failed. Browsers know no such label, and read the body as if
    it named none; so does the watcher.
    """
    try:
        return codecs.lookup(label).name == "undefined"
    except LookupError:
        return False


def without_undefined_charset(content_type: str | None) -> str | None:
    """Return a Content-Type whose charset names_no_encoding as its media type alone."""
    label = labelled_charset(content_type)
    if content_type is None or label is None or not names_no_encoding(label):
        return content_type
    return content_type.split(";", 1)[0].strip()


_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.IGNORECASE)
_LATIN_RE = re.compile(r"(?:iso-?8859-1|latin-?1|l1|(?:windows|cp)-?1252|us-ascii|ascii)$", re.I)

_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_page(
    body: bytes, content_type: str | None, *, browser: bool = True, meta_utf16: bool = True
) -> tuple[str, bool]:
    """Decode the body by its byte order mark, else the declared, the meta, UTF-8 or cp1252.

    Also tell whether the text is the whole body read as UTF-8. ``browser`` (from extraction
    3 on) reads a Latin-1 or ASCII label as windows-1252, and a body a UTF-8 label (or none)
    does not fit as UTF-8 with each stray byte as windows-1252, as browsers read them.
    ``meta_utf16`` (from extraction 10 on) reads a <meta> that names UTF-16 as naming UTF-8.
    """
    # A byte order mark outranks every label (WHATWG encoding sniffing): a UTF-16 page served
    # without a charset was read as cp1252 and its text came out as noise.
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            try:
                return body[len(mark) :].decode(encoding), False
            except UnicodeDecodeError:
                break
    candidates: list[str] = []
    if (labelled := labelled_charset(content_type)) is not None:
        candidates.append(labelled)
    sniffed = _CHARSET_RE.search(body[:4096])
    if sniffed:
        meta = sniffed.group(1).decode("ascii", "replace")
        # The HTML standard's prescan takes a <meta> naming UTF-16 as naming UTF-8, as
        # browsers do: bytes that hold the <meta> in ASCII are no UTF-16. Read as UTF-16, an
        # ASCII page was noise at an even length and itself at an odd one (UTF-16 refused it),
        # so one letter added or taken away was told as a change to noise and back.
        candidates.append("utf-8" if meta_utf16 and _is_utf16(meta) else meta)
    candidates = [label for label in candidates if not names_no_encoding(label)]
    candidates.append("utf-8-sig")
    # Servers often label UTF-8 pages with a default Latin charset; a body that is valid
    # UTF-8 with non-ASCII bytes is UTF-8 (Latin-1 «æøå» are never valid UTF-8 sequences).
    guessed = bool(_LATIN_RE.match(candidates[0])) and not body.isascii()
    if guessed:
        candidates.insert(0, "utf-8")
    for position, encoding in enumerate(candidates):
        if browser and _LATIN_RE.match(encoding):
            # Browsers read every such label as windows-1252 (WHATWG): Latin-1 would read its
            # quotes and dashes (0x80-0x9F) as control characters, and a page that flips to
            # UTF-8 would differ from itself there.
            return as_windows_1252(body), False
        try:
            text = body.decode(encoding)
        except LookupError:
            continue
        except UnicodeDecodeError:
            if browser and not (guessed and position == 0) and _is_utf8(encoding):
                return utf8_with_stray_windows_1252(body), False
            continue
        # No byte order mark here (one would have been cut above), so utf-8-sig read it whole.
        return text, _is_utf8(encoding)
    if browser:
        return utf8_with_stray_windows_1252(body), False
    return body.decode("cp1252", errors="replace"), False


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _is_utf16(label: str) -> bool:
    try:
        return codecs.lookup(label).name in ("utf-16", "utf-16-le", "utf-16-be")
    except LookupError:
        return False
