"""Templates and catalogues are compiled once a process, and again only when their file changes:
every language's environment and every app built later share the compiled form."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog

from shared.i18n import catalogues
from shared.i18n.catalogues import CatalogueError, Catalogues
from shared.i18n.templates import LocalisedTemplates
from shared.vocabulary import LANGUAGES, Language

WORDS = {Language.NB: "Hei", Language.NN: "Hei på deg", Language.EN: "Hello"}


def _catalogue(locale: Path, language: Language, text: str) -> Path:
    path = locale / language.value / "LC_MESSAGES" / "pages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "Hello"\nmsgstr "{text}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, Path]:
    locale, templates = tmp_path / "locale", tmp_path / "templates"
    for language, text in WORDS.items():
        _catalogue(locale, language, text)
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ _('Hello') }}, {{ name }}</p>", encoding="utf-8")
    return locale, templates


def _templates(locale: Path, templates: Path) -> LocalisedTemplates:
    return LocalisedTemplates(templates, Catalogues.load(locale, "pages"), autoescape=True)


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *a, **k):  # type: ignore[no-untyped-def]
        names.append(name or "")
        return real(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def test_a_template_is_compiled_once_for_every_language_and_app_and_each_keeps_its_words(
    folder: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiles = _compiles(monkeypatch)
    for _ in range(2):  # a second app, as each test builds
        pages = _templates(*folder)
        for language in LANGUAGES:
            shown = pages.render(language, "page.html", {"name": "<Kari>"})
            assert shown == f"<p>{WORDS[language]}, &lt;Kari&gt;</p>"
    assert compiles == ["page.html"]


def test_a_template_changed_on_disk_is_compiled_again(
    folder: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, templates = folder
    assert _templates(*folder).render(Language.EN, "page.html", {"name": "Kari"}) == (
        "<p>Hello, Kari</p>"
    )
    (templates / "page.html").write_text("<h1>{{ _('Hello') }}</h1>", encoding="utf-8")
    compiles = _compiles(monkeypatch)
    assert _templates(*folder).render(Language.NB, "page.html", {}) == "<h1>Hei</h1>"
    assert compiles == ["page.html"]


def test_a_catalogue_is_read_once_until_it_changes_on_disk_and_a_broken_one_still_refused(
    folder: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    locale, _ = folder
    reads: list[Path] = []
    real = catalogues.read_catalogue

    def counted(path: Path, language: Language) -> Catalog:
        reads.append(path)
        return real(path, language)

    monkeypatch.setattr(catalogues, "read_catalogue", counted)
    for _ in range(2):
        assert Catalogues.load(locale, "pages")[Language.NB].gettext("Hello") == "Hei"
    assert len(reads) == len(LANGUAGES)
    path = _catalogue(locale, Language.NB, "Hoi")  # as long as «Hei»: told by its time
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert Catalogues.load(locale, "pages")[Language.NB].gettext("Hello") == "Hoi"
    assert reads[len(LANGUAGES) :] == [path]
    path.write_text('msgid "Hello"\nmsgid "Again"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match="not a readable gettext catalogue"):
        Catalogues.load(locale, "pages")
    path.unlink()
    with pytest.raises(CatalogueError, match="no catalogue for 'nb'"):
        Catalogues.load(locale, "pages")
