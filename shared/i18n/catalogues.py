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


# Each catalogue compiled, by its file as it was when read: reading a .po file with Babel
# takes milliseconds, and a process that builds several apps (the tests build one each) read
# the same files again each time. A file changed since is read again.
_COMPILED: dict[tuple[Path, int, int], bytes] = {}


def _compiled(path: Path, language: Language, domain: str) -> Translations:
    """Return the translations of one ``.po`` file (read_catalogue's errors if it cannot)."""
    try:
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None  # read_catalogue names what is wrong
    code = _COMPILED.get(key) if key else None
    if code is None:
        compiled = BytesIO()
        write_mo(compiled, read_catalogue(path, language), use_fuzzy=False)
        code = compiled.getvalue()
        if key:
            _COMPILED[key] = code
    return Translations(BytesIO(code), domain=domain)


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
                language, _compiled(catalogue_path(directory, language, domain), language, domain)
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
