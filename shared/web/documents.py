"""Texts an operator writes for every language: Markdown files read at start, rendered safely.

A folder holds one ``<language>.md`` per language of the vocabulary (``nb.md``, ``nn.md``,
``en.md``). markdown-it-py renders them with raw HTML turned off and only safe link schemes,
so a statement can hold headings, lists and links but never a script or a foreign resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from shared.vocabulary import LANGUAGES, Language


class DocumentError(ValueError):
    """An operator's document is missing or unreadable; the message names the file and setting."""


def read_documents(
    directory: Path, setting: str, languages: Iterable[Language] = LANGUAGES
) -> Mapping[Language, tuple[Path, str]]:
    """Read each language's Markdown file from ``directory``; refuse a gap or an empty file."""
    sources: dict[Language, tuple[Path, str]] = {}
    for language in languages:
        path = directory / f"{language.value}.md"
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise DocumentError(
                f"{setting}: cannot read the {language.value} text {path}: {reason}"
            ) from exc
        if not source.strip():
            raise DocumentError(f"{setting}: the {language.value} text {path} is empty")
        sources[language] = (path, source)
    return sources


def render_markdown(source: str) -> Markup:
    """Render an operator's Markdown as HTML that holds no raw HTML and no unsafe link."""
    # "js-default": CommonMark with HTML off and javascript:/data: links refused.
    return Markup(MarkdownIt("js-default").render(source))  # noqa: S704 - sanitised by markdown-it


def load_documents(
    directory: Path, setting: str, languages: Iterable[Language] = LANGUAGES
) -> Mapping[Language, Markup]:
    """Read and render each language's Markdown file from ``directory``; refuse a gap."""
    return {
        language: render_markdown(source)
        for language, (_, source) in read_documents(directory, setting, languages).items()
    }
