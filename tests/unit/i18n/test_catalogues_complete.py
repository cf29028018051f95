"""Every message is translated in every language, and the catalogues match the sources.

A missing translation would show English on a Norwegian page without any error, so these tests
are what keeps each language whole: every msgid of every domain has a translation in every
catalogue, with the same placeholders and no fuzzy entries, and the catalogues hold exactly
the messages ``make messages`` extracts from the templates and code today.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from shared.i18n.catalogues import CatalogueError, Catalogues, catalogue_path, read_catalogue
from shared.vocabulary import LANGUAGES, Language
from tests.support.words import DOMAINS, ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
CASES = [(domain, language) for domain in DOMAINS for language in LANGUAGES]


def _catalogue(domain: str, language: Language) -> Catalog:
    return read_catalogue(catalogue_path(DOMAINS[domain] / "locale", language, domain), language)


def _messages(catalogue: Catalog) -> Iterator[Message]:
    return (message for message in catalogue if message.id)


def _forms(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_domain_is_checked_and_extracted_by_make_messages() -> None:
    configured = {path.parents[1] for path in ROOT.glob("services/*/locale/babel.cfg")}
    assert configured == set(DOMAINS.values())
    line = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("DOMAINS")
    )
    pairs = {tuple(pair.split(":")) for pair in line.split(":=", 1)[1].split()}
    assert pairs == {(str(folder.relative_to(ROOT)), name) for name, folder in DOMAINS.items()}


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_every_message_is_translated_without_fuzzy_entries(domain: str, language: Language) -> None:
    catalogue = _catalogue(domain, language)
    messages = list(_messages(catalogue))
    assert messages, f"{domain}/{language}: an empty catalogue"
    untranslated = [m.id for m in messages if not all(f.strip() for f in _forms(m.string))]
    assert untranslated == [], f"{domain}/{language}: untranslated {untranslated}"
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert fuzzy == [], f"{domain}/{language}: fuzzy entries {fuzzy}"
    plural_forms = catalogue.num_plurals
    wrong_count = [
        m.id for m in messages if m.pluralizable and len(_forms(m.string)) != plural_forms
    ]
    assert wrong_count == [], f"{domain}/{language}: needs {plural_forms} plural forms"


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_translations_keep_the_placeholders(domain: str, language: Language) -> None:
    catalogue = _catalogue(domain, language)
    wrong = []
    for message in _messages(catalogue):
        source = _forms(message.id)
        translated = _forms(message.string)
        if message.pluralizable:
            # The "one" form may say the number in words («1 endring», «ein time»), but never
            # name a placeholder the source lacks; every other form keeps the plural's own.
            allowed = _placeholders(source[-1]) | {"num"}
            ok = _placeholders(translated[0]) <= allowed and all(
                _placeholders(form) == _placeholders(source[-1]) for form in translated[1:]
            )
        else:
            ok = _placeholders(translated[0]) == _placeholders(source[0])
        if not ok:
            wrong.append(message.id)
    assert wrong == [], f"{domain}/{language}: placeholders differ in {wrong}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == [], problems


def _extracted(domain: str) -> set[tuple[str | None, str]]:
    folder = DOMAINS[domain]
    with (folder / "locale" / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _, _, message, _, context in extract_from_dir(str(folder), method_map, options_map):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogues_hold_exactly_the_messages_the_sources_use(domain: str) -> None:
    # A message added to a template without `make messages` would show in English everywhere;
    # one left behind after its template changed is dead weight for translators.
    extracted = _extracted(domain)
    assert extracted, f"nothing extracted from {DOMAINS[domain]}"
    for language in LANGUAGES:
        held = {
            (m.context, m.id if isinstance(m.id, str) else m.id[0])
            for m in _messages(_catalogue(domain, language))
        }
        missing = sorted(str(x) for x in extracted - held)
        unused = sorted(str(x) for x in held - extracted)
        assert missing == [], f"{domain}/{language}: run `make messages`; missing {missing}"
        assert unused == [], f"{domain}/{language}: run `make messages`; no longer used {unused}"


def test_a_missing_catalogue_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    # A language in the vocabulary without its catalogue: the service refuses to start.
    source = DOMAINS["pages"] / "locale"
    for language in (Language.NB, Language.EN):
        target = catalogue_path(tmp_path, language, "pages")
        target.parent.mkdir(parents=True)
        target.write_bytes(catalogue_path(source, language, "pages").read_bytes())
    with pytest.raises(CatalogueError, match=r"nn/LC_MESSAGES/pages\.po: no catalogue for 'nn'"):
        Catalogues.load(tmp_path, "pages")


def test_a_broken_catalogue_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    target = catalogue_path(tmp_path, Language.NB, "pages")
    target.parent.mkdir(parents=True)
    target.write_text('msgid "Subscribe"\nmsgid "Meld meg på"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"nb/LC_MESSAGES/pages\.po: not a readable"):
        Catalogues.load(tmp_path, "pages", [Language.NB])


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_english_quotes_with_english_marks(domain: str) -> None:
    # English follows British conventions (docs/translating.md): “…”, as its mails do; «…» is
    # the Norwegian mark, which the source texts use.
    norwegian = [
        form
        for message in _messages(_catalogue(domain, Language.EN))
        for form in _forms(message.string)
        if "«" in form or "»" in form
    ]
    assert not norwegian, norwegian


@pytest.mark.parametrize("domain", list(DOMAINS))
@pytest.mark.parametrize("language", [Language.NB, Language.NN])
def test_every_catalogue_calls_a_topic_by_one_word(domain: str, language: Language) -> None:
    # «tema», as the public pages' headings say («Temaer du kan få varsler om»): not «emne» in
    # the menu, a mail or a staff page and «tema» on the page it leads to. A mail's subject line
    # is its «emne» («Emnefeltet»), a word of its own: those messages say "subject".
    other = [
        form
        for message in _messages(_catalogue(domain, language))
        if not re.search(r"\bsubject\b", " ".join(_forms(message.id)), re.IGNORECASE)
        for form in _forms(message.string)
        if re.search(r"\bemne", form, re.IGNORECASE)
    ]
    assert not other, other
