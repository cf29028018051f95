"""Text every store and reader can carry: no control characters, clipped to what is kept.

Any producer of a change (the watcher's polls, a CMS pushing through the publisher API) hands
on words written by someone else: control characters in a title, a note longer than any mail
shows. PostgreSQL refuses NUL, a reader shows nothing useful for the rest, and a bidirectional
override (U+202E) makes the words after it read backwards, so the watcher cleans what it emits
and the mailer cleans whatever it takes in, whoever produced it. A title is one line wherever
it is shown (a mail's subject, a feed's <title>, the desk): its line breaks become spaces.
A noncharacter (U+FDD0 to U+FDEF, U+FFFE, U+FFFF and the last two code points of every plane)
means nothing to a reader and no HTML document may hold one, so a page or mail that showed it
would no longer be valid: it is left out too. What a person types into a form or sends to an
API is refused instead (``noncharacter_in``): cleaned away unseen, their words would be saved
other than they wrote them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Unicode's 66 noncharacters, as the inside of a character class.
NONCHARACTERS: Final = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible,
# they make what follows them show in another order than it is stored, so a reason in the
# ledger could read as another («example.org» shown as «gro.elpmaxe»). The marks (U+200E,
# U+200F) stay: they reorder nothing past themselves, and some scripts need them.
BIDI_CONTROLS: Final = "\u202a-\u202e\u2066-\u2069"
_BIDI_CONTROL: Final = re.compile(f"[{BIDI_CONTROLS}]")
# C0 and C1 controls but tab and line breaks, DEL, bidirectional embeddings, overrides and
# isolates, the BOM, lone surrogates (which UTF-8 cannot hold) and noncharacters. Zero-width
# joiners and the left-to-right and right-to-left marks stay: some scripts and emoji need them.
UNCARRIABLE: Final = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    + BIDI_CONTROLS
    + "\ufeff\ud800-\udfff"
    + NONCHARACTERS
    + "]"
)

_NONCHARACTER: Final = re.compile(f"[{NONCHARACTERS}]")


def noncharacter_in(text: str) -> str | None:
    """Return the first noncharacter in ``text``, written as its code point (``U+FDD0``), or
    None if it holds none."""
    found = _NONCHARACTER.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def bidi_control_in(text: str) -> str | None:
    """Return the first bidirectional embedding, override or isolate in ``text``, written as
    its code point (``U+202E``), or None if it holds none."""
    found = _BIDI_CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def typed_invisible(text: str) -> tuple[str, str] | None:
    """Return what makes text a person typed be refused rather than kept other than typed
    (ADR 0023): its kind, ``noncharacter`` or ``bidi_control`` (the end of each form's reason
    for the refusal), and its code point; None if it holds neither. A noncharacter is told
    first."""
    if (found := noncharacter_in(text)) is not None:
        return "noncharacter", found
    if (found := bidi_control_in(text)) is not None:
        return "bidi_control", found
    return None


def without_format_characters(text: str) -> str:
    """Return ``text`` without Unicode's invisible format characters (category Cf: zero-width
    spaces and joiners, soft hyphens, direction marks), which make two texts that read the
    same differ."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def without_bidi_controls(text: str) -> str:
    """Return ``text`` without its bidirectional embeddings, overrides and isolates."""
    return _BIDI_CONTROL.sub("", text)


def clip(text: str, limit: int) -> str:
    """Shorten text to at most limit characters at a word boundary, ending in «…»."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-") + "…"


def carried_text(value: str, limit: int | None = None) -> str:
    """Return ``value`` without characters no store or reader can take, clipped to ``limit``."""
    if UNCARRIABLE.search(value):
        value = UNCARRIABLE.sub("", value)
    return clip(value, limit) if limit is not None else value


def carried_line(value: str, limit: int | None = None) -> str:
    """Return ``value`` as one line of carriable text, its breaks and spaces one space each."""
    # str.split breaks at every line break (CR, LF, VT, FF, NEL, U+2028/9) and space.
    words = (UNCARRIABLE.sub("", word) for word in value.split())
    line = " ".join(word for word in words if word)
    return clip(line, limit) if limit is not None else line


def shows_text(text: str) -> bool:
    """Tell whether a text has a character a reader sees: zero-width spaces and joiners (format
    characters, pasted from a word processor) alone label a sign-up box with nothing."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)
