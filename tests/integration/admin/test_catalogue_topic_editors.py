"""A topic's editors in the catalogue file: planned as a changed field, applied, exported back.

Account names are not checked against the accounts here: accounts live apart from the file, and
a reminder for a name with no account falls back to every editor (services/mailer).
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.integration.admin.catalogue_support import FIRST, catalogue, cli, write

__all__ = ["cli"]  # the fixture, used by name

NAMED = FIRST.replace(
    'slug = "helsenyheter"\n', 'slug = "helsenyheter"\neditors = ["kari", "ola"]\n', 1
)


def test_editors_are_planned_applied_and_exported_back(cli: CliRunner, tmp_path: Path) -> None:
    first = catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST)))
    assert first.exit_code == 0, first.output

    named = write(tmp_path, "named.toml", NAMED)
    dry = catalogue(cli, "apply", str(named), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "  ~ topic helsenyheter: changed (editors)" in dry.output.splitlines()
    applied = catalogue(cli, "apply", str(named))
    assert applied.exit_code == 0, applied.output

    exported = catalogue(cli, "export", "--out", str(tmp_path / "export.toml"))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / "export.toml").read_text(encoding="utf-8")
    assert 'editors = [\n    "kari",\n    "ola",\n]' in text or 'editors = ["kari", "ola"]' in text
    again = catalogue(cli, "apply", str(tmp_path / "export.toml"))
    assert again.exit_code == 0 and "no changes" in again.output, again.output

    # Naming nobody again is a change too; a topic without editors writes no field.
    back = catalogue(cli, "apply", str(write(tmp_path, "back.toml", FIRST)))
    assert "  ~ topic helsenyheter: changed (editors)" in back.output.splitlines()
    assert "editors" not in catalogue(cli, "export").stdout


def test_a_blank_editor_name_is_refused_naming_the_topic(cli: CliRunner, tmp_path: Path) -> None:
    blank = FIRST.replace('slug = "helsenyheter"\n', 'slug = "helsenyheter"\neditors = [""]\n')
    refused = catalogue(cli, "apply", str(write(tmp_path, "blank.toml", blank)))
    assert refused.exit_code != 0
    assert "helsenyheter" in refused.output and "editors" in refused.output
