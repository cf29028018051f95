"""A page whose label word is followed by a long run of blanks is read as fast as any other.

Templated pages put long stretches of whitespace after a «Sist endret» with no date. The date
search once tried every split of such a run, so 16,000 blanks took 44 s and a large page could
hold the watcher for hours, delaying every source's alerts. Each case here would take far longer
than the suite's per-test timeout below if the search were quadratic again.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.watcher.domain.content import parse_content
from services.watcher.domain.dates import find_labelled_dates
from services.watcher.domain.normalise import fold_text

RUN = 100_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("blank", [" ", "\n", "\u00a0", "\t \r\n"])
def test_a_label_and_a_long_blank_run_without_a_date_is_no_date(blank: str) -> None:
    text = fold_text("Oppdatert" + blank * RUN + "x")
    assert find_labelled_dates(text) == (None, None)
    assert find_labelled_dates(fold_text("Sist faglig" + blank * RUN + "oppdatert x")) == (
        None,
        None,
    )


@pytest.mark.timeout(60)
def test_a_date_after_a_long_blank_run_is_still_the_labels_date() -> None:
    text = fold_text("Oppdatert" + " " * RUN + ":" + "\n" * RUN + "5. mars 2024")
    assert find_labelled_dates(text) == (None, date(2024, 3, 5))


@pytest.mark.timeout(60)
def test_a_page_with_a_long_blank_run_after_a_label_reads_as_with_one_blank() -> None:
    def page(blanks: str) -> bytes:
        return (
            "<html><body><main><h1>Norge i verden</h1><p>Sist endret</p>"
            f"{blanks}<p>Nytt avsnitt om global helse.</p></main></body></html>"
        ).encode()

    long, short = parse_content("page", page("\n" * RUN)), parse_content("page", page("\n"))
    assert long.fingerprint == short.fingerprint
    assert long.blocks == short.blocks
