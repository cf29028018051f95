"""A page edited many times in a period: the digest shows its latest version once, says how
often it changed and keeps what the earlier edits said (docs/decisions/0016, point 4)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.integration.mailer.digests_support import digest_now
from tests.integration.mailer.harness import Harness, at, on

PAGE = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
MORNING = at("2026-11-23T08:00:00+00:00")  # 09:00 in Oslo, Monday


def _parts(harness: Harness, address: str) -> tuple[str, str]:
    [mail] = harness.received_by(address)
    plain = mail.message.get_body(preferencelist=("plain",))
    html = mail.message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


async def _fifty_edits_and_another_page(harness: Harness) -> None:
    for i in range(50):
        harness.clock.set(MORNING + timedelta(minutes=10 * i + 1))
        await harness.change(f"Side v{i}", url=PAGE, summary=f"Endret avsnitt {i}.")
    await harness.change("Annen side", url="https://www.fhi.no/annen/", summary="Ny tabell.")
    harness.clock.set(at("2026-11-24T06:30:00+00:00"))
    await digest_now(harness)


@on("sqlite")
async def test_a_page_edited_fifty_times_is_shown_once_with_its_earlier_changes(
    harness: Harness,
) -> None:
    harness.clock.set(MORNING)
    await harness.subscribe("dag@example.org", frequency="daily")
    await harness.seeded()
    await _fifty_edits_and_another_page(harness)
    plain, html = _parts(harness, "dag@example.org")

    # 51 changes, two pages: the latest version of the page once, with the count of its edits.
    assert "Daglig oppsummering: 51 endringer" in plain
    assert "«Norge i verden» (51 endringer)" in plain
    assert plain.count("Side v49") == 1 and "Side v48" not in plain
    assert "Siden er endret 50 ganger i denne perioden" in plain
    # The earlier summaries, newest first, bounded: the five before the latest, then the rest.
    shown = [int(n) for n in re.findall(r"Endret avsnitt (\d+)\.", plain)]
    assert shown == [49, 48, 47, 46, 45, 44]
    assert "og 44 tidligere endringer." in plain
    assert (
        "23. november 2026, 17:01: Endret avsnitt 48." in plain
    )  # when it was made, in Oslo's time
    for text in ("Siden er endret 50 ganger", "Endret avsnitt 44.", "og 44 tidligere endringer."):
        assert text in html
    assert [int(n) for n in re.findall(r"Endret avsnitt (\d+)\.", html)] == shown
    # A page changed once says nothing of the sort.
    assert plain.count("ganger i denne perioden") == 1


@on("sqlite")
@pytest.mark.parametrize(
    ("language", "times", "more"),
    [
        ("en", "This page changed 50 times in this period", "and 44 earlier changes."),
        ("nn", "Sida er endra 50 gonger i denne perioden", "og 44 tidlegare endringar."),
    ],
)
async def test_the_earlier_changes_are_told_in_every_language(
    harness: Harness, language: str, times: str, more: str
) -> None:
    harness.clock.set(MORNING)
    await harness.subscribe("dag@example.org", frequency="daily", language=language)
    await harness.seeded()
    await _fifty_edits_and_another_page(harness)
    plain, html = _parts(harness, "dag@example.org")
    for part in (plain, html):
        assert times in part
        assert more in part
        assert "Endret avsnitt 45." in part
