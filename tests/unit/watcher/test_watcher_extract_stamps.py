"""A page's own stamps («Sist oppdatert», a date beside its label) are no change of its content;
dates and times in its running text are."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import compare, parse_content

_STAMPED = (
    "<!doctype html><html><head><title>Vaksine</title></head><body><main><h1>Vaksine</h1>"
    "<p>Folkehelseinstituttet anbefaler at alle over 65 år tar vaksine hvert år.</p>"
    "{stamp}</main></body></html>"
)


@pytest.mark.parametrize(
    "stamp",
    [
        "<dl><dt>Sist oppdatert</dt><dd>{date}</dd></dl>",
        "<dl><dt>Publisert:</dt><dd>1. desember 2026</dd><dt>Sist endret:</dt><dd>{date}</dd></dl>",
        "<table><tr><th>Sist oppdatert</th><td>{date}</td></tr></table>",
        "<div class='meta'><div>Sist oppdatert:</div><div>{date} kl. 14:30</div></div>",
    ],
    ids=["dt-dd", "two-dt-dd", "table-row", "divs"],
)
def test_a_date_beside_its_label_in_the_next_block_or_cell_is_no_change(stamp: str) -> None:
    # The label was stripped, the date left standing: a page whose «Sist oppdatert» moves on
    # every request (as some CMSs do) told its followers the bare new date at every poll.
    before, after = (
        parse_content("page", _STAMPED.format(stamp=stamp.format(date=day)).encode())
        for day in ("05.12.2026", "06.12.2026")
    )

    assert after.blocks == (
        "Vaksine",
        "Folkehelseinstituttet anbefaler at alle over 65 år tar vaksine hvert år.",
    )
    assert before.fingerprint == after.fingerprint
    assert compare(before, after).changed is False
    # Stored under extraction 3, a page is judged by it once more (docs/decisions/0017).
    stored = parse_content(
        "page", _STAMPED.format(stamp=stamp.format(date="05.12.2026")).encode(), extraction=3
    )
    assert "05.12.2026" in stored.blocks[-1]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Sist endra 05.12.2026", "Sist endra 06.12.2026"),  # nynorsk
        ("Sist oppdatert: fredag 5. desember 2026", "Sist oppdatert: lørdag 6. desember 2026"),
        ("Last updated on Friday, December 5, 2026", "Last updated on Monday, December 8, 2026"),
        ("Sist oppdatert kl. 14:30", "Sist oppdatert kl. 14:31"),
        ("Oppdatert i dag kl. 09.05", "Oppdatert i dag kl. 09.10"),
        ("Sist oppdatert 5. des. 2026 klokken 14.30", "Sist oppdatert 5. des. 2026 klokken 14.31"),
        ("Sist oppdatert: 05.12.2026 - 14:30", "Sist oppdatert: 05.12.2026 - 14:31"),
    ],
    ids=["sist-endra", "weekday", "english-weekday", "time", "today", "klokken", "dash-time"],
)  # fmt: skip
def test_a_pages_stamp_in_other_words_is_no_change(before: str, after: str) -> None:
    # Each was left standing as text: a page whose stamp moved (by the minute, on some CMSs)
    # mailed its followers «Sist oppdatert kl. 14:31» at every poll.
    old, new = (
        parse_content("page", _STAMPED.format(stamp=f"<p>{s}</p>").encode())
        for s in (before, after)
    )

    assert new.blocks == (
        "Vaksine",
        "Folkehelseinstituttet anbefaler at alle over 65 år tar vaksine hvert år.",
    )
    assert compare(old, new).changed is False
    # Stored under extraction 4, a page is judged by it once more (docs/decisions/0017).
    stored = parse_content("page", _STAMPED.format(stamp=f"<p>{before}</p>").encode(), extraction=4)
    assert len(stored.blocks) == 3


def test_dates_and_times_in_running_text_are_content_still() -> None:
    stamp = (
        "<p>Søknadsfristen er fredag 5. desember 2026 kl. 12:00, og vaksinen ble sist oppdatert"
        " i dag kl. 09.05.</p>"
    )
    content = parse_content("page", _STAMPED.format(stamp=stamp).encode())
    assert content.blocks[-1] == (
        "Søknadsfristen er fredag 5. desember 2026 kl. 12:00, og vaksinen ble sist oppdatert"
        " i dag kl. 09.05."
    )


def test_dated_lines_under_a_heading_that_is_a_label_word_stay_whole() -> None:
    # A section «Endret» over dated lines: the heading is no stamp of the page's own to join.
    stamp = "<h2>Endret</h2><p>05.12.2026: Ny veileder om vaksinasjon av helsepersonell.</p>"

    content = parse_content("page", _STAMPED.format(stamp=stamp).encode())

    assert content.blocks[-1] == "05.12.2026: Ny veileder om vaksinasjon av helsepersonell."
