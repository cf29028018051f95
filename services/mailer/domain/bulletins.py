"""The rules of bulletins: who gets one when, which language's words, and their Markdown.

Pure: the handler and the mail builder apply them to what they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from markdown_it import MarkdownIt
from markupsafe import Markup

from shared.vocabulary import Frequency, Language


class BulletinRoute(StrEnum):
    """How a bulletin reaches one person."""

    NOW = "now"  # its own mail, straight away
    DIGEST = "digest"  # a pending item, in the person's next digest


def route_for(frequency: str, *, urgent: bool) -> BulletinRoute:
    """Return how a person with this rhythm gets a bulletin.

    An urgent bulletin overrides digests: everyone gets it now. Otherwise it goes "with the next
    mails": immediate people now, digest people in their next digest.
    """
    if urgent or frequency == Frequency.IMMEDIATE:
        return BulletinRoute.NOW
    return BulletinRoute.DIGEST


# Which written language stands in for a language the editor left out: nynorsk readers read
# the bokmål text (the form says so); nb and en are always written.
_FALLBACK: Final[dict[str, str]] = {Language.NN: Language.NB}


@dataclass(frozen=True, slots=True)
class BulletinWords:
    """A bulletin's subject and Markdown body in the language a reader gets."""

    language: str  # the language the words are in (nb for an nn reader without nn)
    subject: str
    body: str


def words_for(texts: Mapping[str, Mapping[str, str]], language: str) -> BulletinWords:
    """Return the words a reader of ``language`` gets, falling back from nn to nb, else nb."""
    for candidate in (language, _FALLBACK.get(language), Language.NB):
        if candidate and candidate in texts:
            text = texts[candidate]
            return BulletinWords(str(candidate), text["subject"], text["body"])
    raise LookupError("the bulletin has no bokmål text")


# CommonMark with raw HTML turned off ("js-default"): what an editor writes can make headings,
# lists, emphasis and links, and never markup of its own; markdown-it also refuses
# javascript:, vbscript: and data: links. A well-kept parser, rather than rules written here.
_MARKDOWN: Final = MarkdownIt("js-default")


def markdown_html(body: str, *, below: int = 1) -> Markup:
    """Return a bulletin body's HTML: escaped text, no raw HTML, only safe links.

    Its headings start one level below ``below`` (the subject's heading), so a screen reader's
    outline of the mail stays in order whatever level the editor wrote.
    """
    tokens = _MARKDOWN.parse(body)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + below)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(html)  # noqa: S704 - markdown-it escapes; HTML is off


def markdown_text(body: str) -> str:
    """Return a bulletin body for the plain-text part: the Markdown itself, which reads as text."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
