"""The organisation's privacy notice, versioned: the ledger records which version a person saw.

The operator writes the notice (what GDPR art. 13 requires a controller to tell) in Markdown,
one file per language, each opening with a few ``key: value`` lines between ``---`` lines:

    ---
    date: 2026-11-01
    controller: Eksempeletaten, Postboks 1, 0101 Oslo
    contact: personvern@eksempel.no
    ---

A version is the operator's date plus the start of the SHA-256 of the whole text, so a changed
text is always a new version, even if the date was not moved; the ledger keeps the full hash too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from shared.vocabulary import DEFAULT_LANGUAGE, Language

# What the front matter must name: when the text took effect, who is responsible, how to reach
# them. The rest of art. 13 (purposes, legal basis, retention, rights...) is prose in the body.
REQUIRED: Final = ("date", "controller", "contact")
_FRONT_MATTER = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.S)
_LINE = re.compile(r"(?P<key>[a-z_]+):[ \t]*(?P<value>.*)")
_HASH_IN_VERSION = 12  # hex digits: 48 bits, ample to tell an organisation's versions apart


class NoticeProblem(ValueError):
    """A notice the operator wrote cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class PrivacyNotice:
    """One language version of the privacy notice: its version and its exact text."""

    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        """Return the hash of the exact text."""
        return _sha256(self.text)

    @property
    def body(self) -> str:
        """Return the Markdown a person reads, without the front matter."""
        match = _FRONT_MATTER.match(self.text)
        return match.group("body") if match else self.text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _front_matter(head: str) -> dict[str, str]:
    # Written by hand: the front matter is a few "key: value" lines, and a YAML parser would
    # accept much more (types, anchors, nesting) than an operator should write here.
    fields: dict[str, str] = {}
    for number, line in enumerate(head.split("\n"), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None:
            raise NoticeProblem(f"line {number} is not 'key: value'")
        fields[match.group("key")] = match.group("value").strip()
    return fields


def parse_notice(language: Language, source: str) -> PrivacyNotice:
    """Return the notice in an operator's file; raise ``NoticeProblem`` saying what is wrong."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise NoticeProblem(
            "it must start with front matter: a line '---', the lines 'date: YYYY-MM-DD', "
            "'controller: ...' and 'contact: ...', and a line '---'"
        )
    fields = _front_matter(match.group("head"))
    missing = [key for key in REQUIRED if not fields.get(key)]
    if missing:
        raise NoticeProblem(
            f"the front matter does not name {', '.join(missing)} "
            "(the controller, and how to contact them, are what GDPR art. 13(1)(a) requires first)"
        )
    try:
        day = date.fromisoformat(fields["date"])
    except ValueError as exc:
        raise NoticeProblem(f"date {fields['date']!r} is not a date such as 2026-11-01") from exc
    if not match.group("body").strip():
        raise NoticeProblem("it has no text after the front matter")
    version = f"{day.isoformat()}.{_sha256(text)[:_HASH_IN_VERSION]}"
    return PrivacyNotice(version, language.value, text)


@dataclass(frozen=True)
class PrivacyNotices:
    """The notice in force, in every language; read at start-up from the operator's files."""

    by_language: Mapping[Language, PrivacyNotice]

    def current(self, language: str | None) -> PrivacyNotice:
        """Return the notice in force for a language (the default language's if it has none)."""
        notices = self.by_language
        return notices.get(Language.of(language)) or notices[DEFAULT_LANGUAGE]

    @property
    def every(self) -> tuple[PrivacyNotice, ...]:
        """Return the notice in force in every language."""
        return tuple(self.by_language.values())
