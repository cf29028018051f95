"""Every catalogue is in the layout ``make messages`` writes, so the next run rewrites nothing.

``make messages`` extracts with ``--sort-output --width=100`` and updates each ``.po`` file with
``--ignore-obsolete --width=100``: entries sorted by msgid (then context), long strings wrapped
at 100 columns, no obsolete ``#~`` entries. An entry added by hand out of order or on one long
line is read and served just the same, so nothing else notices, until the next ``make messages``
rewrites hundreds of lines and hides the real change in the diff. Reading a catalogue and
writing it back as ``pybabel update`` does must give the very same bytes.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel import __version__ as babel_version
from babel.messages.pofile import read_po, write_po

from shared.i18n.catalogues import catalogue_path
from shared.vocabulary import LANGUAGES, Language
from tests.support.words import DOMAINS, ROOT

CASES = [(domain, language) for domain in DOMAINS for language in LANGUAGES]
# The Makefile's `messages` target passes --width=100 to both extract and update.
WIDTH = 100


def _in_layout(written: bytes, language: str, domain: str) -> bytes:
    catalogue = read_po(BytesIO(written), locale=language, domain=domain)
    rewritten = BytesIO()
    # The template is extracted with --sort-output and `pybabel update` keeps its order, so
    # sorting here gives the order `make messages` leaves; update writes with these options.
    write_po(rewritten, catalogue, width=WIDTH, sort_output=True, ignore_obsolete=True)
    # The header names the Babel that wrote it; a newer one installed (pyproject asks for
    # babel>=2.14) rewrites that line alone, which is no departure from the layout.
    line = _generated_by(written)
    return _GENERATED_BY.sub(lambda _: line, rewritten.getvalue())


_GENERATED_BY = re.compile(rb'^"Generated-By: Babel [^"\\]*\\n"$', re.MULTILINE)


def _generated_by(written: bytes) -> bytes:
    """Return the catalogue's own Generated-By line (or the current Babel's, if it has none)."""
    found = _GENERATED_BY.search(written)
    return found.group(0) if found else f'"Generated-By: Babel {babel_version}\\n"'.encode()


def layout_difference(path: Path, language: str, domain: str) -> str | None:
    """Return where a catalogue departs from the layout ``make messages`` writes, or None."""
    written = path.read_bytes()
    expected = _in_layout(written, language, domain)
    if written == expected:
        return None
    # Line ends are kept so that a file differing only in them still shows where.
    actual_lines = written.decode("utf-8").splitlines(keepends=True)
    expected_lines = expected.decode("utf-8").splitlines(keepends=True)
    pairs = zip(actual_lines, expected_lines, strict=False)
    number = next(
        (index for index, (actual, wanted) in enumerate(pairs) if actual != wanted),
        min(len(actual_lines), len(expected_lines)),
    )
    end = "<end of file>"
    actual = actual_lines[number] if number < len(actual_lines) else end
    wanted = expected_lines[number] if number < len(expected_lines) else end
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return (
        f"{shown}: not in the layout `make messages` writes (sorted, wrapped at {WIDTH}, no "
        f"obsolete entries); line {number + 1} is {actual!r}, expected {wanted!r}. "
        "Run `make messages` and check that only the layout changed."
    )


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_catalogue_is_in_the_layout_make_messages_writes(domain: str, language: Language) -> None:
    path = catalogue_path(DOMAINS[domain] / "locale", language, domain)
    problem = layout_difference(path, language.value, domain)
    assert problem is None, problem


SAMPLE = f"""# Norwegian Bokmål words of a sample.
msgid ""
msgstr ""
"Project-Id-Version: varsel 1\\n"
"Report-Msgid-Bugs-To: EMAIL@ADDRESS\\n"
"POT-Creation-Date: 2026-12-04 17:54+0000\\n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"
"Last-Translator: varsel contributors\\n"
"Language: nb\\n"
"Language-Team: Norwegian Bokmål\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Generated-By: Babel {babel_version}\\n"

msgid "Save changes"
msgstr "Lagre endringene"

msgid ""
"We send one email a day at most, and only when a page you follow has changed since the last one "
"we sent you."
msgstr ""
"Vi sender høyst én e-post om dagen, og bare når en side du følger er endret siden den forrige vi "
"sendte."

msgid "Your changes are saved."
msgstr "Endringene er lagret."

"""
LONG_ID = (
    "We send one email a day at most, and only when a page you follow has changed since the last "
    "one we sent you."
)
# The layout wraps the sample's long msgid after "last one "; a hand edit leaves it on one line.
WRAPPED_ID = 'msgid ""\n"' + LONG_ID.replace("one we", 'one "\n"we') + '"\n'


def _sample(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nb" / "LC_MESSAGES" / "sample.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_catalogue_in_layout_passes(tmp_path: Path) -> None:
    assert layout_difference(_sample(tmp_path, SAMPLE), "nb", "sample") is None


def test_an_entry_out_of_order_is_caught_naming_the_file_and_line(tmp_path: Path) -> None:
    saved = 'msgid "Your changes are saved."\nmsgstr "Endringene er lagret."\n'
    moved = SAMPLE.replace("\n" + saved, "").replace(
        'msgid "Save changes"', saved + '\nmsgid "Save changes"'
    )
    path = _sample(tmp_path, moved)
    problem = layout_difference(path, "nb", "sample")
    assert problem is not None
    assert str(path) in problem
    moved_line, sorted_line = 'msgid "Your changes are saved."\n', 'msgid "Save changes"\n'
    assert f"line 17 is {moved_line!r}, expected {sorted_line!r}" in problem


def test_a_long_line_left_unwrapped_is_caught(tmp_path: Path) -> None:
    assert WRAPPED_ID in SAMPLE
    path = _sample(tmp_path, SAMPLE.replace(WRAPPED_ID, f'msgid "{LONG_ID}"\n'))
    problem = layout_difference(path, "nb", "sample")
    assert problem is not None
    assert f"line 20 is 'msgid \"{LONG_ID}\"\\n', expected 'msgid \"\"\\n'" in problem


def test_an_obsolete_entry_is_caught(tmp_path: Path) -> None:
    path = _sample(tmp_path, SAMPLE + '#~ msgid "Unsubscribe"\n#~ msgstr "Meld av"\n')
    problem = layout_difference(path, "nb", "sample")
    assert problem is not None
    assert "line 30 is '#~ msgid \"Unsubscribe\"\\n', expected '<end of file>'" in problem


def test_line_ends_of_another_system_are_caught(tmp_path: Path) -> None:
    path = _sample(tmp_path, SAMPLE)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    problem = layout_difference(path, "nb", "sample")
    assert problem is not None
    assert "line 1 is '# Norwegian Bokmål words of a sample.\\r\\n'" in problem


def test_a_catalogue_written_by_another_babel_is_in_layout(tmp_path: Path) -> None:
    # pyproject asks for babel>=2.14: a fresh install may bring a newer one than wrote the
    # catalogues, and it would rewrite the header's Generated-By line and nothing else.
    older = SAMPLE.replace(f"Babel {babel_version}", "Babel 2.14.0")
    assert older != SAMPLE
    assert layout_difference(_sample(tmp_path, older), "nb", "sample") is None
