"""A page's or feed entry's own stamp, in the wordings extraction 7 knows, is no change.

Each was left in the compared text before: a page or feed whose stamp moves (by the minute, on
some CMSs) mailed every follower the new stamp at every poll. A source stored under an older
version is judged by it once more (docs/decisions/0017), so that reading must stay as it was.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.watcher.domain.content import compare, parse_content
from services.watcher.domain.model import FEED_STAMPS
from tests.support.feeds import rss
from tests.unit.watcher.stamps_support import (
    PAGE_CONTENT,
    STAMPED_PAGE,
    moves_alone,
    stamped_blocks,
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>SIST OPPDATERT 05.12.2026</p>", "<p>SIST OPPDATERT 06.12.2026</p>"),
        ("<p>SIST OPPDATERT: 5. desember 2026</p>", "<p>SIST OPPDATERT: 6. desember 2026</p>"),
        ("<p>SIST ENDRET 05.12.2026 KL. 10:15</p>", "<p>SIST ENDRET 05.12.2026 KL. 10:16</p>"),
        ("<p>Sist Oppdatert 05.12.2026</p>", "<p>Sist Oppdatert 06.12.2026</p>"),
        ("<p>PUBLISERT 01.12.2026 · OPPDATERT 05.12.2026</p>",
         "<p>PUBLISERT 01.12.2026 · OPPDATERT 06.12.2026</p>"),
        ("<p>LAST UPDATED: December 5, 2026</p>", "<p>LAST UPDATED: December 6, 2026</p>"),
        ("<dl><dt>SIST OPPDATERT</dt><dd>05.12.2026</dd></dl>",
         "<dl><dt>SIST OPPDATERT</dt><dd>06.12.2026</dd></dl>"),
        ("<table><tr><th>SIST OPPDATERT</th><td>05.12.2026</td></tr></table>",
         "<table><tr><th>SIST OPPDATERT</th><td>06.12.2026</td></tr></table>"),
    ],
    ids=["caps", "caps-colon-month", "caps-time", "title-case", "two-caps", "english-caps",
         "caps-dt-dd", "caps-table"],
)  # fmt: skip
def test_a_stamp_in_capitals_is_no_change(before: str, after: str) -> None:
    moves_alone(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Sist oppdatert dato: 05.12.2026</p>", "<p>Sist oppdatert dato: 06.12.2026</p>"),
        ("<p>Oppdatert dato 05.12.2026</p>", "<p>Oppdatert dato 06.12.2026</p>"),
        ("<p>Sist endret dato: 5. desember 2026</p>", "<p>Sist endret dato: 6. desember 2026</p>"),
        ("<p>Sist endra dato: 05.12.2026</p>", "<p>Sist endra dato: 06.12.2026</p>"),  # nynorsk
        ("<p>Sist fagleg oppdatert: 18. august 2022</p>",
         "<p>Sist fagleg oppdatert: 5. desember 2026</p>"),  # helsedirektoratet.no, nynorsk
        ("<p>Last updated date: 05.12.2026</p>", "<p>Last updated date: 06.12.2026</p>"),
        ("<p>Updated date: December 5, 2026</p>", "<p>Updated date: December 6, 2026</p>"),
        ("<p>SIST OPPDATERT DATO: 05.12.2026</p>", "<p>SIST OPPDATERT DATO: 06.12.2026</p>"),
        ("<dl><dt>Sist oppdatert dato</dt><dd>05.12.2026</dd></dl>",
         "<dl><dt>Sist oppdatert dato</dt><dd>06.12.2026</dd></dl>"),
        # Alone in its cell, «Sist endra» and a date with its weekday are joined as one.
        ("<dl><dt>Sist endra</dt><dd>fredag 5. desember 2026</dd></dl>",
         "<dl><dt>Sist endra</dt><dd>laurdag 6. desember 2026</dd></dl>"),
    ],
    ids=["sist-oppdatert-dato", "oppdatert-dato", "sist-endret-dato", "sist-endra-dato",
         "fagleg", "last-updated-date", "updated-date", "caps-dato", "dato-dt-dd",
         "sist-endra-dt-weekday"],
)  # fmt: skip
def test_a_stamp_whose_label_ends_in_another_word_is_no_change(before: str, after: str) -> None:
    moves_alone(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Publiseringsdato: 05.12.2026</p>", "<p>Publiseringsdato: 06.12.2026</p>"),
        ("<p>PUBLISERINGSDATO 05.12.2026</p>", "<p>PUBLISERINGSDATO 06.12.2026</p>"),
        ("<p>Publication date: December 5, 2026</p>", "<p>Publication date: December 6, 2026</p>"),
        ("<p>PUBLICATION DATE 5 December 2026</p>", "<p>PUBLICATION DATE 6 December 2026</p>"),
        ("<p>Sist revidert 05.12.2026</p>", "<p>Sist revidert 06.12.2026</p>"),
        ("<p>SIST REVIDERT: 5. desember 2026</p>", "<p>SIST REVIDERT: 6. desember 2026</p>"),
        ("<p>Sist revidert for 5 minutter siden</p>", "<p>Sist revidert i går</p>"),
        ("<dl><dt>Publiseringsdato</dt><dd>05.12.2026</dd></dl>",
         "<dl><dt>Publiseringsdato</dt><dd>06.12.2026</dd></dl>"),
        ("<table><tr><th>Sist revidert</th><td>05.12.2026</td></tr></table>",
         "<table><tr><th>Sist revidert</th><td>06.12.2026</td></tr></table>"),
        ("<p>Publiseringsdato 01.12.2026 | Sist revidert 05.12.2026</p>",
         "<p>Publiseringsdato 01.12.2026 | Sist revidert 06.12.2026</p>"),
    ],
    ids=["publiseringsdato", "publiseringsdato-caps", "publication-date",
         "publication-date-caps", "sist-revidert", "sist-revidert-caps", "sist-revidert-relative",
         "publiseringsdato-dt-dd", "sist-revidert-table", "both"],
)  # fmt: skip
def test_a_stamp_in_the_wordings_of_publication_and_revision_is_no_change(
    before: str, after: str
) -> None:
    moves_alone(before, after)


@pytest.mark.parametrize(
    ("stamp", "published", "updated"),
    [
        ("<p>SIST OPPDATERT 05.12.2026</p>", None, date(2026, 12, 5)),
        ("<p>Sist Oppdatert 05.12.2026</p>", None, date(2026, 12, 5)),
        ("<p>SIST ENDRET 05.12.2026 KL. 10:15</p>", None, date(2026, 12, 5)),
        ("<p>PUBLISERT 01.12.2026 · OPPDATERT 05.12.2026</p>",
         date(2026, 12, 1), date(2026, 12, 5)),
        ("<p>LAST UPDATED: December 5, 2026</p>", None, date(2026, 12, 5)),
        ("<dl><dt>SIST OPPDATERT</dt><dd>05.12.2026</dd></dl>", None, date(2026, 12, 5)),
        ("<p>Sist oppdatert dato: 05.12.2026</p>", None, date(2026, 12, 5)),
        ("<p>SIST OPPDATERT DATO: 05.12.2026</p>", None, date(2026, 12, 5)),
        ("<p>Updated date: December 5, 2026</p>", None, date(2026, 12, 5)),
        ("<p>Sist fagleg oppdatert: 18. august 2022</p>", None, date(2022, 8, 18)),
        ("<p>Sist endra 05.12.2026</p>", None, date(2026, 12, 5)),
        ("<dl><dt>Sist endra</dt><dd>fredag 5. desember 2026</dd></dl>",
         None, date(2026, 12, 5)),
        ("<p>Sist oppdatert: fredag 5. desember 2026</p>", None, date(2026, 12, 5)),
        ("<p>Last updated on Friday, December 5, 2026</p>", None, date(2026, 12, 5)),
        ("<p>Publiseringsdato: 01.12.2026</p>", date(2026, 12, 1), None),
        ("<p>PUBLICATION DATE 1 December 2026</p>", date(2026, 12, 1), None),
        ("<p>Sist revidert 05.12.2026</p>", None, date(2026, 12, 5)),
        # A relative time names no date: none is made up.
        ("<p>Sist oppdatert for 5 minutter siden</p>", None, None),
        ("<p>SIST OPPDATERT I GÅR</p>", None, None),
    ],
    ids=["caps", "title-case", "caps-time", "two-caps", "english-caps", "caps-dt-dd",
         "dato", "caps-dato", "updated-date", "fagleg", "sist-endra", "sist-endra-weekday",
         "weekday", "english-on-weekday", "publiseringsdato", "publication-date",
         "sist-revidert", "relative", "relative-caps"],
)  # fmt: skip
def test_a_stamp_left_out_of_the_compared_text_still_dates_the_page(
    stamp: str, published: date | None, updated: date | None
) -> None:
    # The event of a real change carries the page's dates: read from every stamp that the
    # compared text loses, or a subscriber is told of a change but not when the page says.
    content = parse_content("page", STAMPED_PAGE.format(stamp=stamp).encode())
    assert content.blocks == PAGE_CONTENT
    assert (content.published, content.updated) == (published, updated)


def test_a_real_change_carries_the_date_of_a_stamp_in_capitals() -> None:
    old, new = (
        parse_content("page", STAMPED_PAGE.replace("65 år", age).format(stamp=stamp).encode())
        for age, stamp in (
            ("65 år", "<p>SIST OPPDATERT 05.12.2026</p>"),
            ("60 år", "<p>SIST OPPDATERT 06.12.2026</p>"),
        )
    )
    assert compare(old, new).changed is True
    assert new.updated == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Sist oppdatert for 5 minutter siden</p>",
         "<p>Sist oppdatert for 6 minutter siden</p>"),
        ("<p>Oppdatert for 2 timer siden</p>", "<p>Oppdatert for 3 timer siden</p>"),
        ("<p>Sist oppdatert: for en time siden</p>", "<p>Sist oppdatert: for 2 timer siden</p>"),
        ("<p>Sist oppdatert i dag</p>", "<p>Sist oppdatert i går</p>"),
        ("<p>Sist endra for 5 minutt sidan</p>", "<p>Sist endra for eit minutt sidan</p>"),  # nn
        ("<p>Oppdatert for 2 timar sidan</p>", "<p>Oppdatert for 3 dagar sidan</p>"),  # nn
        ("<p>Updated 5 minutes ago</p>", "<p>Updated an hour ago</p>"),
        ("<p>Last updated: yesterday</p>", "<p>Last updated: 2 days ago</p>"),
        ("<p>SIST OPPDATERT FOR 5 MINUTTER SIDEN</p>",
         "<p>SIST OPPDATERT FOR 6 MINUTTER SIDEN</p>"),
        ("<dl><dt>Sist oppdatert</dt><dd>for 5 minutter siden</dd></dl>",
         "<dl><dt>Sist oppdatert</dt><dd>i går kl. 14:30</dd></dl>"),
        ("<p><span>for 5 minutter siden</span></p>", "<p><span>for 6 minutter siden</span></p>"),
        ("<p>for 5 minutt sidan</p>", "<p>for 2 timar sidan</p>"),
        ("<p>i går</p>", "<p>for 3 dager siden</p>"),
        ("<div>I går kl. 14.30</div>", "<div>I dag kl. 09.05</div>"),
        ("<p>5 minutes ago</p>", "<p>just now</p>"),
        ("<p>· for 5 minutter siden</p>", "<p>· for 6 minutter siden</p>"),
    ],
    ids=["nb-minutes", "nb-hours", "nb-an-hour", "nb-today", "nn-minutes", "nn-hours",
         "en-minutes", "en-yesterday", "caps", "dt-dd", "alone-span", "alone-nn", "alone-i-gaar",
         "alone-with-time", "alone-en", "alone-separator"],
)  # fmt: skip
def test_a_relative_time_beside_a_label_or_alone_is_no_change(before: str, after: str) -> None:
    moves_alone(before, after)


def test_a_real_change_beside_a_stamp_is_still_a_change() -> None:
    # In the same block as its stamp and in the next: the words changed are told.
    old, new = (
        parse_content(
            "page",
            STAMPED_PAGE.replace("hvert år.</p>", f"hvert år. SIST OPPDATERT {day}</p>")
            .replace("65 år", age)
            .format(stamp=f"<p>for {minutes} minutter siden</p><p>Gravide bør også ta den.</p>")
            .encode(),
        )
        for day, age, minutes in (("05.12.2026", "65 år", 5), ("06.12.2026", "60 år", 9))
    )

    change = compare(old, new)

    assert change.changed is True
    assert "60 år" in change.summary
    assert new.blocks == (
        "Vaksine",
        "Folkehelseinstituttet anbefaler at alle over 60 år tar vaksine hvert år.",
        "Gravide bør også ta den.",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Møtet er 5. desember 2026 kl. 10:00 i Oslo.",
        "Møtet er 5. desember.",
        "For 2 timer siden la regjeringen fram en ny strategi for global helse.",
        "I går la regjeringen fram en ny strategi for global helse.",
        "Oppdatert i dag er veilederen om vaksinasjon av helsepersonell.",
        "Vaksinen ble sist oppdatert for 2 timer siden.",
        "SØKNADSFRISTEN ER 05.12.2026.",
        "Dato: 05.12.2026",  # a meeting's date, not the page's stamp
        "Publiseringsdatoen er 5. desember 2026.",
        "Veilederen ble sist revidert 5. desember 2026.",
        "The publication date is December 5, 2026.",
        "Sist revidert utgave kom 5. desember 2026.",
    ],
)
def test_dates_and_relative_times_that_are_content_stay(text: str) -> None:
    assert stamped_blocks(f"<p>{text}</p>") == (*PAGE_CONTENT, text)


def test_a_heading_that_is_a_relative_time_names_a_section() -> None:
    blocks = stamped_blocks("<h2>I dag</h2><p>Gravide bør også ta vaksinen i år.</p>")
    assert blocks[-2:] == ("I dag", "Gravide bør også ta vaksinen i år.")


_ITEM = ("Ny veileder om kikhoste", "https://example.no/kikhoste")
_TEXT = "Gravide bør ta vaksinen mot kikhoste."


def _entry(description: str, extraction: int | None = None) -> str:
    body = rss([_ITEM], [description], guids=["sak-1"])
    if extraction is None:
        content = parse_content("feed", body)
    else:
        content = parse_content("feed", body, extraction=extraction)
    (entry,) = content.entries
    return entry.text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (f"<p>{_TEXT}</p><p>Sist oppdatert 05.12.2026 klokken 10:15</p>",
         f"<p>{_TEXT}</p><p>Sist oppdatert 05.12.2026 klokken 10:16</p>"),
        (f"{_TEXT} Sist oppdatert 05.12.2026 - 10:15",
         f"{_TEXT} Sist oppdatert 05.12.2026 - 10:16"),
        (f"<p>{_TEXT}</p><dl><dt>Sist oppdatert</dt><dd>05.12.2026 kl. 10:15</dd></dl>",
         f"<p>{_TEXT}</p><dl><dt>Sist oppdatert</dt><dd>05.12.2026 kl. 10:16</dd></dl>"),
        (f"<p>{_TEXT}</p><p>SIST OPPDATERT 05.12.2026 kl. 10:15</p>",
         f"<p>{_TEXT}</p><p>SIST OPPDATERT 06.12.2026 kl. 10:15</p>"),
        (f"<p>{_TEXT}</p><p>Sist endra 05.12.2026</p>",
         f"<p>{_TEXT}</p><p>Sist endra 06.12.2026</p>"),
        (f"<p>{_TEXT}</p><p>Sist oppdatert kl. 10:15</p>",
         f"<p>{_TEXT}</p><p>Sist oppdatert kl. 10:16</p>"),
        (f"<p>{_TEXT}</p><p>Sist oppdatert dato: 05.12.2026</p>",
         f"<p>{_TEXT}</p><p>Sist oppdatert dato: 06.12.2026</p>"),
        (f"<p>{_TEXT}</p><p>Oppdatert for 5 minutter siden</p>",
         f"<p>{_TEXT}</p><p>Oppdatert for 6 minutter siden</p>"),
        (f"<p>{_TEXT}</p><p>for 5 minutter siden</p>", f"<p>{_TEXT}</p><p>i går</p>"),
    ],
    ids=["klokken", "dash-time", "dt-dd", "caps", "sist-endra", "time-alone", "dato",
         "relative-beside", "relative-alone"],
)  # fmt: skip
def test_a_feed_entrys_stamp_moving_alone_is_no_update(before: str, after: str) -> None:
    old, new = (
        parse_content("feed", rss([_ITEM], [text], guids=["sak-1"])) for text in (before, after)
    )
    assert [e.text for e in new.entries] == [_TEXT]
    assert compare(old, new).changed is False
    # Stored under extraction 6, a feed is judged by it once more: there the stamp stood.
    assert _entry(before, FEED_STAMPS - 1) != _TEXT


def test_a_feed_entrys_text_changed_beside_its_stamp_is_an_update() -> None:
    old, new = (
        parse_content(
            "feed",
            rss([_ITEM], [f"<p>{text}</p><p>SIST OPPDATERT {day} kl. 10:15</p>"], guids=["sak-1"]),
        )
        for text, day in ((_TEXT, "05.12.2026"), ("Alle gravide bør ta vaksinen.", "06.12.2026"))
    )
    change = compare(old, new)
    assert change.changed is True
    assert "Alle gravide" in change.notes["sak-1"]
    assert "SIST OPPDATERT" not in change.notes["sak-1"]


def test_a_date_in_a_feed_entrys_text_stays() -> None:
    text = "Høringsfristen er 5. desember 2026. I går kom det nye råd."
    assert _entry(f"<p>{text}</p>") == text
