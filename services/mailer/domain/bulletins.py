"""The rules of bulletins: who gets one when, which language's words, and their Markdown.

Pure: the handler and the mail builder apply them to what they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token
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
        if token.children:
            token.children = _images_as_links(token.children)
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(html)  # noqa: S704 - markdown-it escapes; HTML is off


def _images_as_links(inline: list[Token]) -> list[Token]:
    """Return inline tokens with each image a link to it, named by its alt text.

    An image in a mail is fetched from its host when the mail is opened: a third-party
    resource, and a tracking pixel to whoever serves it, which no mail of varsel carries.
    """
    out: list[Token] = []
    in_link = 0
    for token in inline:
        if token.type == "link_open":
            in_link += 1
        elif token.type == "link_close":
            in_link -= 1
        if token.type != "image":
            out.append(token)
            continue
        src = str(token.attrGet("src") or "")
        words = Token("text", "", 0, content=token.content or src)
        if in_link:  # a link inside a link is no HTML: its words only
            out.append(words)
            continue
        out += [
            Token("link_open", "a", 1, attrs={"href": src}),
            words,
            Token("link_close", "a", -1),
        ]
    return out


def markdown_text(body: str) -> str:
    """Return a bulletin body for the plain-text part: the Markdown itself, which reads as text."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
