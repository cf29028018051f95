"""The operator's Markdown texts: one per language, refused when one is missing, rendered safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.vocabulary import LANGUAGES, Language
from shared.web.documents import DocumentError, load_documents

SETTING = "VARSEL_ACCESSIBILITY_STATEMENT_DIR"
EXAMPLE = Path(__file__).resolve().parents[3] / "services/subscriptions/documents/accessibility"


def _folder(tmp_path: Path, texts: dict[str, str]) -> Path:
    for language, text in texts.items():
        (tmp_path / f"{language}.md").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_bundled_example_exists_in_every_language_with_a_way_to_complain() -> None:
    statements = load_documents(EXAMPLE, SETTING)
    assert set(statements) == set(LANGUAGES)
    for html in statements.values():
        assert "<h2>" in html
        assert 'href="https://www.uutilsynet.no/"' in html
        assert 'href="mailto:' in html
    assert "Tilsynet for universell utforming av IKT" in statements[Language.NN]
    assert "Erklæringa vart sist oppdatert" in statements[Language.NN]


def test_markdown_becomes_html_and_raw_html_or_script_links_do_not(tmp_path: Path) -> None:
    hostile = (
        "## Status\n\n<script>alert(1)</script>\n\n"
        '<img src="https://tracker.example/x.gif">\n\n'
        "[klikk](javascript:alert(2)) and [ok](https://www.uutilsynet.no/)\n"
    )
    html = load_documents(_folder(tmp_path, dict.fromkeys(("nb", "nn", "en"), hostile)), SETTING)
    page = str(html[Language.NB])
    assert "<h2>Status</h2>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<img" not in page
    assert 'href="javascript:' not in page
    assert '<a href="https://www.uutilsynet.no/">ok</a>' in page


def test_a_missing_language_is_refused_naming_the_setting_and_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"nb": "# Erklæring", "en": "# Statement"})
    with pytest.raises(DocumentError, match=rf"{SETTING}: cannot read the nn text .*nn\.md"):
        load_documents(folder, SETTING)


def test_an_empty_text_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"nb": "# Erklæring", "nn": "  \n", "en": "# Statement"})
    with pytest.raises(DocumentError, match=r"the nn text .*nn\.md is empty"):
        load_documents(folder, SETTING)
