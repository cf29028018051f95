"""Normalise extracted text so that only real edits make the compared text differ."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.stamps import (
    FIRST_STAMPS,
    RELATIVE_ALONE_MAX_CHARS,
    SEPARATORS,
    Stamps,
)

# Invisible characters that CMS editors and PDF producers sprinkle in: soft hyphen,
# zero-width space/joiners, word joiner, BOM, Mongolian vowel separator, bidi marks.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a\u202b\u202c\u202d\u202e]"
)
_INVISIBLE_CHARS = tuple(_INVISIBLE_RE.pattern[1:-1])
# str patterns: \s covers NBSP, narrow NBSP, thin space, line/paragraph separators.
_WHITESPACE_RE = re.compile(r"\s+")

# The sign-up widget and the chrome around it (fhi.no and helsedirektoratet.no, both
# languages). A block starting with one of these is never content.
BOILERPLATE_PREFIXES: tuple[str, ...] = (
    "Få varsel ved oppdateringer av",
    "Hvor ofte ønsker du å motta varsler",
    "Ønsker du også varsler om",
    "E-postadressen du registrerer her",
    "Les mer om personvern",
    "Du har meldt deg på nyhetsvarsel",
    "Get alerts of updates about",
    "How often would you like to receive alerts",
    "Do you also want alerts about",
    "The email address you register",
    "Read more about the privacy",
    "You have subscribed to alerts",
    "Du benytter en nettleser vi ikke støtter",
    "Du bruker en nettleser vi ikke støtter",
    "You are using a browser we do not support",
    "Hopp til innhold",
    "Hopp til hovedinnhold",
    "Skip to content",
    "Skip to main content",
)
BOILERPLATE_RE = re.compile(
    r"^\W*(?:" + "|".join(re.escape(p) for p in BOILERPLATE_PREFIXES) + ")", re.IGNORECASE
)
# Cookie banners: only short blocks, so an article about cookies is still content.
_COOKIE_RE = re.compile(r"\b(?:informasjonskapsler|cookies?)\b", re.IGNORECASE)
_COOKIE_VERB_RE = re.compile(
    r"\b(?:godta|aksepter|tillat|avvis|samtykke\w*|bruker|accept|allow|consent|use)\b",
    re.IGNORECASE,
)
_COOKIE_MAX_CHARS = 400
_DEDUPE_MIN_CHARS = 60


def normalise_text(text: str) -> str:
    """Return text with invisible characters removed, NFKC-folded and whitespace collapsed."""
    # str.split() splits on exactly the characters \s matches.
    return _collapsed(fold_text(text))


def fold_text(text: str) -> str:
    """Return normalise_text's text before its whitespace is collapsed.

    For a search whose patterns match the same whatever the length of each run of whitespace
    (dates.find_labelled_dates): splitting a page's text into words and joining them again
    costs more than the search.
    """
    return text if text.isascii() else _folded(text)


# The Latin-1 characters that NFKC changes (superscripts, fractions, ª, º, µ, spacing
# accents): any other Latin-1 text is its own NFKC (a test checks every pair).
_LATIN1_NFKC_CHANGES = tuple(
    code for code in range(0x80, 0x100) if unicodedata.normalize("NFKC", chr(code)) != chr(code)
)


def _folded(text: str) -> str:
    """Return non-ASCII text without invisible characters, NFKC-folded (whitespace as it is)."""
    # NFKC (not NFC) folds ligatures and fullwidth forms that PDF extraction emits; ASCII
    # text is already NFKC, which is why callers skip this for it. Python's regex scans
    # non-ASCII text slowly, so it only runs when an invisible character is there.
    if any(c in text for c in _INVISIBLE_CHARS):
        text = _INVISIBLE_RE.sub("", text)
    # NFKC turns a no-break space into a plain space. Doing that first lets the usual page
    # text, whose only compatibility character is &nbsp;, pass NFKC's quick check instead of
    # being decomposed and recomposed whole (a space composes with nothing, so the result
    # is the same).
    text = text.replace("\u00a0", " ")
    try:
        latin = text.encode("latin-1")  # a copy of the characters, for Latin-1 text
    except UnicodeEncodeError:
        return unicodedata.normalize("NFKC", text)
    # Latin-1 text («æøå» and no wider character) is NFKC unless it holds one of the few
    # Latin-1 characters NFKC changes: no two others compose. Telling so costs a search per
    # such byte, where NFKC's quick check looks every character up in the Unicode database.
    if any(byte in latin for byte in _LATIN1_NFKC_CHANGES):
        return unicodedata.normalize("NFKC", text)
    return text


# Joins the texts that normalise_texts handles in one go. NUL is never whitespace, nothing
# removes, folds or composes it, and no character composes across it, so the joined text
# normalises to the normalised texts joined.
_JOIN = "\x00"


def normalise_texts(texts: Sequence[str]) -> list[str]:
    """Return normalise_text of each text, from one pass over their joined text.

    A page has dozens of blocks: one check for invisible characters and one NFKC over them
    all cost far less than one per block, and each block is left only its whitespace to fold.
    """
    if not texts:
        return []
    joined = _JOIN.join(texts)
    if joined.count(_JOIN) != len(texts) - 1:  # a text holds NUL itself: one by one
        return [normalise_text(text) for text in texts]
    if not joined.isascii():
        joined = _folded(joined)
    return _collapsed_parts(joined)


# Every character str.split() splits on but the plain space (a test checks every code point).
_OTHER_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _collapsed_parts(joined: str) -> list[str]:
    """Return _collapsed of each part of joined, split at _JOIN.

    A part holding no whitespace but single inner spaces is collapsed already, as most are.
    A search of the joined text for each other whitespace character and for a double space
    (memchr-like scans) finds the few parts that hold one, at a fraction of the cost of
    checking every part (isprintable looks every character up); a space at either end of a
    part is seen from its strip.
    """
    parts = joined.split(_JOIN)
    uncollapsed = {index for index, part in enumerate(parts) if len(part.strip(" ")) != len(part)}
    ends: list[int] = []
    for needle in (*(c for c in _OTHER_WHITESPACE if c in joined), "  "):
        at = joined.find(needle)
        if at != -1 and not ends:
            ends = list(accumulate(len(part) + 1 for part in parts))  # where each part's join is
        while at != -1:
            index = bisect_right(ends, at)
            uncollapsed.add(index)
            at = joined.find(needle, ends[index])  # on from the next part
    for index in uncollapsed:
        parts[index] = " ".join(parts[index].split())
    return parts


def _collapsed(text: str) -> str:
    """Return text with its whitespace collapsed, as " ".join(text.split()) gives it."""
    # Most blocks are collapsed already (a paragraph's text, stripped where it was read):
    # telling so costs a third of splitting one into words and joining them. A printable
    # string holds no whitespace but the plain space (every other character str.split()
    # splits on is a control or separator character, which isprintable() refuses).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


# A label alone in its block («<dt>Sist oppdatert</dt><dd>5. mars 2024</dd>») or table cell
# («Sist oppdatert | 5. mars 2024»), its date in the next: read as one phrase, as it reads.
_LABEL_ALONE_MAX_CHARS = 40


def dates_beside_labels(
    raw: Iterable[tuple[str, bool]], stamps: Stamps = FIRST_STAMPS
) -> list[tuple[str, bool]]:
    """Join each date label alone in its block or cell to the date in the next one.

    Stripped apart, the label went and the date stayed: a page whose «Sist oppdatert» date
    moved (on every request, on some CMSs) was a change each time, told as the bare date.
    ``stamps`` are the labels and stamps known (stamps.page_stamps of the version).
    """
    out: list[tuple[str, bool]] = []
    for text, is_heading in raw:
        # A heading «Endret» over dated lines names a section: it stays as it is. The length
        # first: extraction 7's stamp_start, read at every block, is the dearer test.
        if out and not out[-1][1] and len(out[-1][0]) <= _LABEL_ALONE_MAX_CHARS:
            label = out[-1][0]
            if stamps.stamp_start.match(text) and stamps.may_hold(label):
                label = normalise_text(label)
                if stamps.label_alone.fullmatch(label):
                    out[-1] = (f"{label} {text}", False)
                    continue
        if "|" in text and stamps.may_hold(text):
            text = stamps.label_cell.sub(r"\1:", normalise_text(text))
        out.append((text, is_heading))
    return out


def strip_date_phrases(text: str, *, labelled: bool = True, stamps: Stamps = FIRST_STAMPS) -> str:
    """Remove the page's own «Publisert …»/«Oppdatert …» stamps; "" if nothing else is left.

    ``labelled=False`` tells that the text holds no word that starts a label (stamps.may_hold);
    ``stamps`` are those removed (stamps.page_stamps of the version of the rules).
    """
    if not text:
        return text
    # Every phrase starts with a label word; without one the slow regex has nothing to find.
    if labelled and stamps.may_hold(text):
        stripped = stamps.phrases.sub(" ", text)
    elif text[0] not in SEPARATORS and not text[0].isspace():
        return text  # no label, so only a text that starts with a separator can be all of them
    else:
        stripped = text
    if stamps.only_labels.fullmatch(stripped):
        return ""
    if stripped is text or stripped == text:
        return text
    return _WHITESPACE_RE.sub(" ", stripped).strip()


def is_boilerplate(block: str) -> bool:
    """Tell whether a normalised block is widget, banner or skip-link text."""
    if BOILERPLATE_RE.match(block):
        return True
    if len(block) > _COOKIE_MAX_CHARS:
        return False
    if not _may_name_cookies(block):
        return False
    return _COOKIE_RE.search(block) is not None and _COOKIE_VERB_RE.search(block) is not None


def _may_name_cookies(block: str) -> bool:
    """Tell whether a block, lowered, holds the words _COOKIE_RE needs: a cheap superset.

    No letter here has an exotic case-insensitive twin beyond what lower() folds («i» and
    «s», which have, are left out), so the slow case-insensitive scan runs only when needed.
    «kap» alone let every «kunnskap» and «kapasitet» through, a tenth of a page's blocks.
    """
    try:
        # Lowering a non-ASCII str looks every character up. A Latin-1 block's bytes, lowered
        # as bytes (ASCII letters only), hold the same ASCII words: no Latin-1 character
        # lowers to ASCII but an ASCII one (a test checks each).
        data = block.encode("latin-1").lower()
    except UnicodeEncodeError:
        text = block.lower()
        return "cook" in text or ("kap" in text and "nforma" in text and "ler" in text)
    return b"cook" in data or (b"kap" in data and b"nforma" in data and b"ler" in data)


def clean_blocks(
    raw: Iterable[tuple[str, bool]],
    ignore: IgnorePatterns | None = None,
    *,
    dedupe: bool = True,
    stamps: Stamps = FIRST_STAMPS,
) -> tuple[tuple[str, ...], frozenset[int]]:
    """Normalise (text, is_heading) pairs into compared blocks and heading indices.

    ``stamps`` are the page's own stamps removed (strip_date_phrases), a block that is a
    relative time alone where they know one («for 5 minutter siden»; never a heading), and
    one that is print stamps or visitor counts alone where they know those (print_stamps).
    """
    blocks: list[str] = []
    headings: set[int] = set()
    seen: set[str] = set()
    pairs = list(raw)
    texts = normalise_texts([text for text, _ in pairs])
    # One search over all blocks for the few that hold a label word, not one per block.
    labelled = stamps.holding(texts)
    alone, stamp_block = stamps.alone, stamps.stamp_block
    for index, (text, (_, is_heading)) in enumerate(zip(texts, pairs, strict=True)):
        block = strip_date_phrases(text, labelled=index in labelled, stamps=stamps)
        if not block or is_boilerplate(block):
            continue
        if (
            alone is not None
            and not is_heading
            and len(block) <= RELATIVE_ALONE_MAX_CHARS
            and alone.fullmatch(block)
        ):
            continue
        if stamp_block is not None and stamp_block(block):
            continue
        if ignore is not None and ignore.matches(block):
            continue
        # Pages repeat their lead paragraph and PDFs their footnote URLs; once is enough.
        # Headings and short lines («Les mer») legitimately repeat, so they are kept.
        if dedupe and not is_heading and len(block) >= _DEDUPE_MIN_CHARS:
            if block in seen:
                continue
            seen.add(block)
        if is_heading:
            headings.add(len(blocks))
        blocks.append(block)
    return tuple(blocks), frozenset(headings)
