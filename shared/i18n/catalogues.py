"""A domain's gettext catalogues, one ``.po`` file per language, read with Babel at start-up.

The ``.po`` files are the source and there is no ``.mo`` file to build: Babel reads each
catalogue and compiles it in memory (a few milliseconds), so a fresh clone, a container image and
an editable install all run on exactly the words in the repository. Fuzzy entries are left out
(gettext then shows the English source), and the completeness tests refuse them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared.i18n.translator import Translator
from shared.vocabulary import LANGUAGES, Language


class CatalogueError(RuntimeError):
    """A catalogue a service needs is missing or cannot be read."""


def catalogue_path(directory: Path, language: Language, domain: str) -> Path:
    """Return where a domain's catalogue for a language lives (the gettext layout)."""
    return directory / language.value / "LC_MESSAGES" / f"{domain}.po"


def read_catalogue(path: Path, language: Language) -> Catalog:
    """Read one ``.po`` file; a missing or broken file is an error that names it."""
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=language.value, abort_invalid=True)
    except FileNotFoundError:
        raise CatalogueError(
            f"{path}: no catalogue for {language.value!r} (docs/translating.md says how to add one)"
        ) from None
    except Exception as exc:
        raise CatalogueError(f"{path}: not a readable gettext catalogue: {exc}") from exc


def _translations(catalogue: Catalog, domain: str) -> Translations:
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


@dataclass(frozen=True, slots=True)
class Catalogues:
    """The words of one domain (``pages``, ``admin``, ``mails``) in every language."""

    domain: str
    translators: Mapping[Language, Translator]

    @classmethod
    def load(
        cls, directory: Path, domain: str, languages: Iterable[Language] = LANGUAGES
    ) -> Catalogues:
        """Read the domain's catalogue of every language; refuse to start without one."""
        translators = {
            language: Translator(
                language,
                _translations(
                    read_catalogue(catalogue_path(directory, language, domain), language), domain
                ),
            )
            for language in languages
        }
        return cls(domain, translators)

    def __getitem__(self, language: Language) -> Translator:
        """Return the translator of a language."""
        return self.translators[language]

    @property
    def languages(self) -> tuple[Language, ...]:
        """Return the languages read, in the vocabulary's order."""
        return tuple(self.translators)
