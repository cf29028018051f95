"""Decide whether two snapshots differ and say what changed, in plain Norwegian."""

from __future__ import annotations

import difflib
import re

from rapidfuzz import process
from rapidfuzz.distance import Indel

from services.watcher.domain.model import ChangeSummary, Content, FeedEntry
from services.watcher.domain.recurring import replaces_in_place
from shared.carried_text import clip

_UNCHANGED = ChangeSummary(changed=False, summary="", added=(), removed=())
_SNIPPET_CHARS = 200
_HEADING_CHARS = 120
# A new block this similar to an old one is that block edited: name its changed sentences.
_SIMILAR_RATIO = 0.6
# Only the first lines fit in a summary; blocks past them are not compared with every old one.
_SIMILAR_LOOKUPS = 12
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"(–—])")  # – opens a quote
# «Meld. St. 5», «bl.a. Norge»: a full stop after these does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"meld", "st", "prop", "nr", "kap", "jf", "ca", "bl.a", "f.eks", "dvs", "mv", "pkt", "ref"}
)


def compare(old: Content, new: Content, *, max_summary_chars: int = 600) -> ChangeSummary:
    """Compare two snapshots of one source and summarise what was added or rewritten."""
    if old.fingerprint == new.fingerprint:
        return _UNCHANGED
    if old.entries or new.entries:
        return _compare_feeds(old, new, max_summary_chars)
    if same_words(old.blocks, new.blocks):
        return _UNCHANGED
    return _compare_blocks(old, new, max_summary_chars)


def same_words(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """Tell whether two texts are the same words in the same order, however split into blocks
    and lines: a PDF laid out anew (its lines broken elsewhere, so its paragraphs guessed
    otherwise), a page's paragraph split in two. Told as a change, its followers were sent the
    text they had already, word for word."""
    # Lengths first (one C call a block): laid out otherwise, two texts differ in length by at
    # most a space a block; nearly every change adds or takes more.
    if abs(sum(map(len, old)) - sum(map(len, new))) > len(old) + len(new):
        return False
    # Then the letters, without a copy.
    if sum(len(b) - b.count(" ") for b in old) != sum(len(b) - b.count(" ") for b in new):
        return False
    return "".join("".join(old).split()) == "".join("".join(new).split())


def unified_diff(old: Content, new: Content) -> str:
    """Return a full line diff of the blocks, for the admin page."""
    # Feeds are diffed in a stable order, so a reordered feed shows no difference.
    before = sorted(old.blocks) if old.entries else list(old.blocks)
    after = sorted(new.blocks) if new.entries else list(new.blocks)
    return "\n".join(difflib.unified_diff(before, after, "før", "etter", lineterm=""))


def _compare_blocks(old: Content, new: Content, limit: int) -> ChangeSummary:
    """Diff block sequences; rewritten blocks count as added (new text) and removed (old)."""
    matcher = difflib.SequenceMatcher(a=old.blocks, b=new.blocks, autojunk=False)
    added_at: list[int] = []
    removed: list[str] = []
    rewritten: dict[int, str] = {}  # new index -> the old block it replaces one for one
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            added_at.extend(range(j1, j2))
        if tag in ("replace", "delete"):
            removed.extend(old.blocks[i1:i2])
        if tag == "replace" and i2 - i1 == j2 - j1:
            rewritten.update(zip(range(j1, j2), old.blocks[i1:i2], strict=True))

    # A block that was there before, elsewhere, is not news: a paragraph moved, or one of two
    # copies of a repeated lead that the extraction kept once while they were the same.
    before_blocks, after_blocks = set(old.blocks), set(new.blocks)
    news = [i for i in added_at if new.blocks[i] not in before_blocks]
    gone = [block for block in removed if block not in after_blocks]
    lines = _added_lines(old, new, news, rewritten)
    if not lines:
        lines = [f"Fjernet: {clip(block, _SNIPPET_CHARS)}" for block in gone]
    if not lines:  # only moves: say what moved
        lines = _added_lines(old, new, added_at, rewritten)
    if not lines:
        lines = [f"Fjernet: {clip(block, _SNIPPET_CHARS)}" for block in removed]
    return ChangeSummary(
        changed=True,
        summary=_join_lines(lines, limit),
        added=tuple(new.blocks[i] for i in added_at),
        removed=tuple(removed),
    )


def _added_lines(
    old: Content, new: Content, added_at: list[int], rewritten: dict[int, str]
) -> list[str]:
    """Return a summary line per added block, under its heading once per section."""
    lines: list[str] = []
    section: int | None = None
    for index in added_at:
        block = new.blocks[index]
        if index in new.headings:
            lines.append(f"«{clip(block, _HEADING_CHARS)}»")
            section = index
            continue
        heading = max((h for h in new.headings if h < index), default=None)
        prefix = ""
        if heading is not None and heading != section:
            prefix = f"«{clip(new.blocks[heading], _HEADING_CHARS)}»: "
            section = heading
        before = rewritten.get(index)
        if before is None and len(lines) < _SIMILAR_LOOKUPS:
            before = _most_similar(block, old.blocks)
        lines.append(prefix + _snippet(block, before))
    return lines


def _most_similar(block: str, candidates: tuple[str, ...]) -> str | None:
    """Return the old block this new one is an edited copy of, if any is close enough.

    difflib's ratio decides, the first candidate with the highest winning. Its matches are a
    common subsequence of the two blocks, so it never exceeds rapidfuzz's Indel similarity
    (twice the longest common subsequence over both lengths): one call of that over all the
    candidates, in C, leaves only those that can pass for difflib to look at, where difflib's
    own filters (quick_ratio counts every character in Python) cost three quarters of a
    changed page's summary.
    """
    close = process.extract(
        block,
        candidates,
        scorer=Indel.normalized_similarity,
        # Below the bound by a rounding's width: the two ratios are floats of the same sum.
        score_cutoff=_SIMILAR_RATIO - 1e-9,
        limit=None,
    )
    best, best_ratio = None, _SIMILAR_RATIO
    if not close:
        return best
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(block)  # the second sequence is the one SequenceMatcher indexes
    for index in sorted(index for _, _, index in close):
        candidate = candidates[index]
        matcher.set_seq1(candidate)
        if (ratio := matcher.ratio()) > best_ratio:
            best, best_ratio = candidate, ratio
    return best


def _sentences(text: str) -> list[str]:
    """Split text into sentences, not at abbreviations or before a number."""
    out: list[str] = []
    for piece in _SENTENCE_RE.split(text):
        last_word = out[-1].rsplit(" ", 1)[-1].rstrip(".").lower() if out else ""
        if out and (last_word in _ABBREVIATIONS or len(last_word) <= 1 or piece[:1].isdigit()):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _snippet(block: str, before: str | None) -> str:
    """Return the start of a new block, or the first new sentence of a rewritten one."""
    if before is not None:
        old_sentences = set(_sentences(before))
        sentences = _sentences(block)
        for position, sentence in enumerate(sentences):
            if sentence not in old_sentences:
                lead = "…" if position else ""
                return lead + clip(sentence, _SNIPPET_CHARS)
    return clip(block, _SNIPPET_CHARS)


def _compare_feeds(old: Content, new: Content, limit: int) -> ChangeSummary:
    """Report new and updated entries; reordering, re-issues and drop-offs are not news."""
    before = {e.key: e for e in old.entries}
    after_keys = {e.key for e in new.entries}
    gone = [e for e in old.entries if e.key not in after_keys]
    # An entry whose guid changed but whose title and text did not is a re-issue, unless its
    # publisher dated it anew (recurring.py): a weekly notice in the place of last week's.
    gone_texts: dict[tuple[str, str], list[FeedEntry]] = {}
    for e in gone:
        gone_texts.setdefault((e.title, e.text), []).append(e)
    # A feed that numbers its entries by their place («1», «2», …) gives each the next guid when
    # one is added on top: an entry shown before under another guid is no news, and the
    # entry whose place it took has moved, not been rewritten into the new one.
    shown = {(e.title, e.text): e.key for e in old.entries}
    moved = {
        shown[text]
        for text in ((e.title, e.text) for e in new.entries)
        if text in shown and text not in gone_texts
    }
    fresh: list[FeedEntry] = []
    updated: list[FeedEntry] = []
    for entry in new.entries:
        previous = before.get(entry.key)
        elsewhere = shown.get((entry.title, entry.text))
        if previous is not None and elsewhere not in (None, entry.key) and elsewhere in after_keys:
            continue  # shown before, under the guid of another place (a new guid is judged below)
        if previous is None or (previous.key in moved and previous.signature != entry.signature):
            if not replaces_in_place(entry, gone_texts.get((entry.title, entry.text), [])):
                fresh.append(entry)
        elif previous.signature != entry.signature:
            updated.append(entry)
    if not fresh and not updated:
        # Only entries that fell off the end of the feed: nothing to tell subscribers.
        return ChangeSummary(
            changed=False, summary="", added=(), removed=tuple(e.title for e in gone)
        )
    lines = [f"Ny sak: {clip(e.title, _HEADING_CHARS)}" for e in fresh]
    lines += [f"Oppdatert sak: {clip(e.title, _HEADING_CHARS)}" for e in updated]
    notes = {e.key: clip(e.text, limit) for e in fresh}
    notes.update({e.key: _entry_update(before[e.key], e, limit) for e in updated})
    return ChangeSummary(
        changed=True,
        summary=_join_lines(lines, limit),
        added=tuple(e.title for e in fresh + updated),
        removed=tuple(e.title for e in gone),
        notes=notes,
    )


def _entry_update(previous: FeedEntry, entry: FeedEntry, limit: int) -> str:
    """Say what changed in an entry: its new title, the sentences that are new or gone."""
    lines = []
    if entry.title != previous.title:
        lines.append(f"Ny tittel: «{clip(entry.title, _HEADING_CHARS)}»")
    if entry.text != previous.text:
        old_sentences, new_sentences = _sentences(previous.text), _sentences(entry.text)
        kept = set(old_sentences)
        lines += [
            ("…" if position else "") + clip(sentence, _SNIPPET_CHARS)
            for position, sentence in enumerate(new_sentences)
            if sentence not in kept
        ]
        if len(lines) == (entry.title != previous.title):  # nothing new: sentences were cut
            now = set(new_sentences)
            lines += [f"Fjernet: {clip(s, _SNIPPET_CHARS)}" for s in old_sentences if s not in now]
    return _join_lines(lines, limit) if lines else clip(entry.text, limit)


def _join_lines(lines: list[str], limit: int) -> str:
    """Join summary lines, dropping whole lines past the limit and saying how many."""
    kept: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        remaining = len(lines) - position
        separator = 1 if kept else 0
        tail = len(f"\n… og {remaining - 1} til") if remaining > 1 else 0
        if used + separator + len(line) + tail <= limit:
            kept.append(line)
            used += separator + len(line)
        elif not kept:
            kept.append(clip(line, max(limit - tail, 1)))
            used = len(kept[0])
        else:
            kept.append(f"… og {remaining} til")
            break
    return "\n".join(kept)
