"""Reading an editor's topic form: each field checked on its own, so each refusal sits by its field.

The catalogue checks the whole again when the topic is applied (``shared.catalogue_checks``); this
reads what a form can get wrong and says which field, in words the page translates (message
keys of ``entrypoints/wording.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from shared.carried_text import shows_text, typed_invisible, without_bidi_controls
from shared.catalogue_addresses import address_fault
from shared.catalogue_entries import MAX_RELATED, is_slug
from shared.logs import redact
from shared.vocabulary import LANGUAGES

# Texts per language a topic holds, and how long each may be on the form.
TEXTS: Final = {"title": 200, "section": 200, "description": 500}
SLUG_LENGTH: Final = 100
EDITORS_LENGTH: Final = 1000
# Account names are written apart by commas or spaces: "kari, ola".
_NAME_SEPARATORS = re.compile(r"[,\s]+")
# The longest web address the forms take (a topic's page, a source), as the columns hold.
PAGE_LENGTH: Final = 2000
_ABSOLUTE_HTTP = re.compile(r"^https?://[^/\s]+\S*$")


def text_field(name: str, language: str) -> str:
    """Return the form field of a text in a language: ``title_nb``, ``description_en``."""
    return f"{name}_{language}"


@dataclass(frozen=True, slots=True)
class TopicForm:
    """What the form said: the topic as a catalogue entry, and why each wrong field is wrong."""

    entry: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    # What the editor typed, to show again: the form's field names.
    shown: dict[str, str] = field(default_factory=dict)
    related: tuple[str, ...] = ()
    # What a field's refusal names, as its message's placeholders: {"editors": {"names": ...}}.
    named: dict[str, dict[str, str]] = field(default_factory=dict)


def _has_control_characters(text: str, *, allowed: str = "") -> bool:
    # A title or section is one line; a forged post could carry line breaks or escapes. A
    # description keeps its line breaks and tabs, but a NUL or another control character pasted
    # from a word processor would end up in the public pages and feeds, where HTML and XML
    # cannot hold it.
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _invisible(
    field: str, what: str, value: str, errors: dict[str, str], named: dict[str, dict[str, str]]
) -> bool:
    """Refuse a field holding a noncharacter or a direction control, in words for ``what`` it
    holds (``title``, ``page``) naming the code point; tell whether it did.

    No page or mail may show a noncharacter, and a direction control (U+202E) makes what
    follows it show in another order than it is stored; left out unseen, the editor's words
    would be saved other than they wrote them, so they are told instead (ADR 0023).
    """
    if (found := typed_invisible(value)) is None:
        return False
    kind, character = found
    errors[field] = f"{what}_{kind}"
    named[field] = {"character": character}
    return True


def _texts(
    fields: Mapping[str, str],
    name: str,
    errors: dict[str, str],
    named: dict[str, dict[str, str]],
    *,
    required: bool,
) -> dict[str, str]:
    # A field of zero-width characters alone (pasted from a word processor) is left empty.
    texts: dict[str, str] = {
        language: value
        for language in LANGUAGES
        if shows_text(value := fields.get(text_field(name, language), "").strip())
    }
    for language, text in texts.items():
        key = text_field(name, language)
        if _invisible(key, name, text, errors, named):
            continue
        if len(text) > TEXTS[name]:
            errors[key] = f"{name}_too_long"
        elif name != "description" and _has_control_characters(text):
            errors[key] = "one_line"
        elif name == "description" and _has_control_characters(text, allowed="\r\n\t"):
            errors[key] = "description_controls"
    # The other languages fall back to bokmål, so bokmål must be there whenever any is.
    if "nb" not in texts and (required or texts):
        errors.setdefault(text_field(name, "nb"), f"{name}_nb_missing")
    return texts


def read_topic_form(
    fields: Mapping[str, str],
    related: Sequence[str],
    *,
    editing: str | None,
    followed: Iterable[str],
    taken: Iterable[str],
    staff: Iterable[str],
) -> TopicForm:
    """Read a posted topic form; ``editing`` names the topic edited (its slug does not change).

    ``followed`` are the slugs of topics people can follow (related topics come from them),
    ``taken`` every slug in the catalogue, ended topics' too (a slug is never reused),
    ``staff`` the names of the editor and operator accounts a topic may name as its editors.
    """
    errors: dict[str, str] = {}
    # What a field's refusal names, as its message's placeholders.
    named: dict[str, dict[str, str]] = {}
    slug = editing if editing is not None else fields.get("slug", "").strip()
    if editing is None:
        if not slug:
            errors["slug"] = "slug_missing"
        elif len(slug) > SLUG_LENGTH or not is_slug(slug):
            errors["slug"] = "slug_shape"
        elif slug in set(taken):
            errors["slug"] = "slug_taken"
    entry: dict[str, Any] = {"slug": slug}
    entry["title"] = _texts(fields, "title", errors, named, required=True)
    if section := _texts(fields, "section", errors, named, required=False):
        entry["section"] = section
    if description := _texts(fields, "description", errors, named, required=False):
        entry["description"] = description
    page = fields.get("page", "").strip()
    if page:
        if not _invisible("page", "page", page, errors, named) and (fault := _page_fault(page)):
            errors["page"] = fault
        entry["page"] = page
    chosen = tuple(dict.fromkeys(r for r in related if r))
    allowed = set(followed) - {slug}
    if any(r not in allowed for r in chosen):
        errors["related"] = "related_unknown"
    elif len(chosen) > MAX_RELATED:
        # Refused whole, never cut: which of them the editor would keep is theirs to say.
        errors["related"] = "related_too_many"
        named["related"] = {"limit": str(MAX_RELATED)}
    if chosen:
        entry["related"] = list(chosen)
    typed_editors = fields.get("editors", "")
    if not _invisible("editors", "editors", typed_editors, errors, named) and (
        editors := _editors(typed_editors, set(staff), errors, named)
    ):
        entry["editors"] = editors
    # A field refused for a direction control comes back without it, in the order it is
    # stored, for the editor to check (a noncharacter no page shows anyway: ``html_text``).
    refused = {key for key, error in errors.items() if error.endswith("_bidi_control")}
    shown = {k: without_bidi_controls(v) if k in refused else v for k, v in fields.items()}
    return TopicForm(entry, errors, shown, chosen, named)


def _page_fault(page: str) -> str | None:
    """Return why the address of the page a topic is about cannot be used, or None."""
    if len(page) > PAGE_LENGTH or not _ABSOLUTE_HTTP.match(page) or _has_control_characters(page):
        return "bad_url"
    return address_fault(page)


def _editors(
    typed: str, staff: set[str], errors: dict[str, str], named: dict[str, dict[str, str]]
) -> list[str]:
    """Read the topic's editors: known editor or operator accounts, each named once."""
    names = list(dict.fromkeys(n for n in _NAME_SEPARATORS.split(typed) if n))
    unknown = [name for name in names if name not in staff]
    if len(typed) > EDITORS_LENGTH:
        errors["editors"] = "editors_unknown"
    elif unknown:
        # The refusal names what is no account, so the editor sees which to fix; never an
        # address, though: no account is named by one (accounts refuse it), and a page that
        # repeats an address puts it where staff pages promise none stands.
        shown = [name for name in unknown if redact(name) == name]
        errors["editors"] = "editors_unknown_named" if shown else "editors_address"
        if shown:
            named["editors"] = {"names": ", ".join(shown)}
    return names
