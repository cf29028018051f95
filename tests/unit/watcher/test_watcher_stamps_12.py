"""A block that is a print stamp or a visitor count alone is no change from extraction 12 on, on
a page, in a feed entry and in a PDF; a sentence that holds the same words is content still.

Each stood in the compared text before, so a page printed or read again told every follower
of a «change». Extraction 11's reading keeps them: a source stored under it is judged by it
once more (docs/decisions/0017).
"""

from __future__ import annotations

from datetime import date

import pytest

from services.watcher.domain.content import compare, parse_content
from services.watcher.domain.model import PRINT_STAMPS
from tests.support.pdfs import lines_pdf
from tests.unit.watcher.stamps_support import (
    PAGE_CONTENT,
    STAMPED_PAGE,
    entry_stamp_moves_alone,
    moves_alone,
    stays_content,
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Utskrift: 05.12.2026 10:00</p>", "<p>Utskrift: 06.12.2026 11:03</p>"),
        ("<p>Utskriftsdato: 05.12.2026</p>", "<p>Utskriftsdato: 06.12.2026</p>"),
        ("<p>Skrevet ut 5. desember 2026 kl. 10:00</p>",
         "<p>Skrevet ut 6. desember 2026 kl. 11:03</p>"),
        ("<p>Skrive ut 05.12.2026 10:00</p>", "<p>Skrive ut 06.12.2026 11:03</p>"),
        ("<p>Printed on December 5, 2026 at 10:00</p>",
         "<p>Printed on December 6, 2026 at 11:03</p>"),
        ("<p>Print date: 2026-12-05 10:00</p>", "<p>Print date: 2026-12-06 11:03</p>"),
        ("<p>Denne siden er vist 1234 ganger</p>", "<p>Denne siden er vist 1235 ganger</p>"),
        ("<p>Sida er vist 1 234 gonger.</p>", "<p>Sida er vist 1 235 gonger.</p>"),
        ("<p>This page has been viewed 1,234 times</p>",
         "<p>This page has been viewed 1,235 times</p>"),
        ("<p>Antall visninger: 1234</p>", "<p>Antall visninger: 1235</p>"),
        ("<h2>Utskrift: 05.12.2026 10:00</h2>", "<h2>Utskrift: 06.12.2026 11:03</h2>"),
        ("<p>Sist oppdatert 05.12.2026 | Utskrift: 05.12.2026 10:00 | Vist 1234 ganger</p>",
         "<p>Sist oppdatert 05.12.2026 | Utskrift: 06.12.2026 11:03 | Vist 1235 ganger</p>"),
    ],
    ids=["utskrift", "utskriftsdato", "skrevet-ut", "skrive-ut-nn", "printed-on", "print-date",
         "vist-nb", "vist-nn", "viewed-en", "antall-visninger", "heading", "with-others"],
)  # fmt: skip
def test_a_print_stamp_or_visitor_count_alone_is_no_change(before: str, after: str) -> None:
    moves_alone(before, after, older=PRINT_STAMPS - 1)


@pytest.mark.parametrize(
    "text",
    [
        "Skrevet ut 5. desember 2026 ble rapporten sendt til alle kommunene i fylket.",
        "Utskrift: 05.12.2026 viser at søknaden kom inn for sent, skriver kommunen.",
        "Denne siden er vist 1234 ganger siden i går, og spørsmålene om vaksinen øker.",
        "Printed 5 December 2026, the regulation replaces the one from 2019.",
        "Artikkelen er lest 200 ganger i uka av helsepersonell i hele landet.",
    ],
)
def test_a_sentence_that_holds_print_or_view_words_is_content_still(text: str) -> None:
    # Only a block of stamps alone goes: the news itself, and a change of its numbers, stay.
    moved = text.replace("5. desember", "6. desember").replace("05.12", "06.12")
    moved = moved.replace("1234", "1235").replace("5 December", "6 December")
    stays_content(text, moved.replace("200", "201"))


def test_a_print_stamp_dates_nothing() -> None:
    # When the page was printed is no date of its own, as with «Hentet».
    content = parse_content(
        "page", STAMPED_PAGE.format(stamp="<p>Utskrift: 06.12.2026 11:03</p>").encode()
    )
    assert content.blocks == PAGE_CONTENT
    assert (content.published, content.updated) == (None, None)


def test_a_feed_entrys_visitor_count_or_print_stamp_moving_alone_is_no_update() -> None:
    entry_stamp_moves_alone(
        "<p>Vist 1234 ganger</p><p>Skrevet ut 05.12.2026 10:00</p>",
        "<p>Vist 1235 ganger</p><p>Skrevet ut 06.12.2026 11:03</p>",
        older=PRINT_STAMPS - 1,
    )


_REPORT = [
    "Kommunen har vedtatt ny plan for vann og avlop. Planen gjelder for perioden",
    "2026 til 2030 og omfatter alle kommunale ledningsnett i hele kommunen.",
    "Tiltakene prioriteres etter risiko for forurensning og behov for fornyelse av",
    "ledningene, og innbyggerne far varsel.",
]


def test_a_one_page_pdfs_print_date_footer_moving_alone_is_no_change() -> None:
    # A longer document's footer repeats on most pages, and goes as a running footer.
    old, new = (
        lines_pdf([*_REPORT, f"Utskriftsdato: {at}   Side 1 av 1"])
        for at in ("05.12.2026 10:00", "06.12.2026 11:03")
    )
    read_old, read_new = parse_content("pdf", old), parse_content("pdf", new)
    assert not any("Utskriftsdato" in block for block in read_new.blocks)
    assert read_old.fingerprint == read_new.fingerprint
    assert compare(read_old, read_new).changed is False
    assert read_new.updated is None or read_new.updated != date(2026, 12, 6)
    # Stored under extraction 11, a PDF is judged by it once more: there the footer stood.
    before = parse_content("pdf", old, extraction=PRINT_STAMPS - 1)
    assert any("Utskriftsdato" in block for block in before.blocks)
