"""A CMS's error message in a page's own template, answered with 200, over real HTTP: no
alert when the page shows it, none when the page is back; a page stored as the message
before is compared as before, and a real edit is told."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import services.watcher.domain.decide as decide
from services.watcher import command_api, read_api
from services.watcher.domain.failures import Failure, FailureReason, failure_reason
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

REAL = page().encode()


def in_place(message: str) -> bytes:
    """Return the page as its CMS serves it failing: its template, the message in <main>."""
    main = (
        f"<main><h1>Råd om blåbær, tyttebær og multer</h1><p>{message}</p><p>Prøv igjen om litt,"
        " eller ring oss på 22 40 00 00 hvis feilen varer.</p></main>"
    )
    return re.sub(r"<main>.*</main>", main, page(), flags=re.DOTALL).encode()


async def _told_nothing(harness: Harness, site: ScriptedSite) -> None:
    site.set("/p", Route(REAL))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    for message in ("Det oppstod en feil", "Noko gjekk gale.", "Something went wrong"):
        site.set("/p", Route(in_place(message)))
        assert await poll(harness.deps, source) == "failed"
        row = await harness.source(source)
        assert row.last_error == (
            f"no usable content: page shows an error message in place of its content: {message!r}"
        )
        assert failure_reason(row.last_error) == FailureReason(
            Failure.ERROR_TEXT, {"said": message}
        )

    site.set("/p", Route(REAL))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1
    assert (await harness.source(source)).consecutive_failures == 0


async def test_an_error_message_in_place_of_the_page_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    await _told_nothing(harness, site)


async def test_an_error_message_in_place_of_the_page_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _told_nothing(make_harness(postgres_url), site)


async def test_a_first_reading_of_an_error_message_is_no_baseline(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(in_place("Siden finnes ikke")))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "failed"

    site.set("/p", Route(REAL))
    assert await poll(harness.deps, source) == "baseline"
    assert await harness.events() == []


async def test_a_page_stored_as_an_error_message_before_is_compared_as_before(
    site: ScriptedSite,
    make_harness: HarnessFactory,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = make_harness(postgres_url)
    site.set("/p", Route(in_place("Noe gikk galt")))
    source = await harness.add_source(site.url("/p"))
    with monkeypatch.context() as before:  # stored as an earlier release stored it
        before.setattr(decide, "refused_error_text", lambda state, answer, history: answer)
        assert await poll(harness.deps, source) == "baseline"

    # The message again, in other bytes: no news, and no failure either.
    site.set("/p", Route(in_place("Noe gikk galt") + b"\n"))
    assert await poll(harness.deps, source) == "unchanged"
    # Its real text: told, since what was stored was the message.
    site.set("/p", Route(REAL))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1


async def test_a_real_edit_of_the_page_is_still_told(site: ScriptedSite, harness: Harness) -> None:
    site.set("/p", Route(REAL))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    # A short page whose text tells of an error is content.
    site.set("/p", Route(in_place("Det oppstod en feil i vedtaket fra 3. mars, som nå er rettet.")))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 2


NO_LONGER = (
    "Siden finnes ikke lenger. Ordningen med gratis vaksine ble avviklet 1. desember 2026, se"
    " regjeringen.no."
)


async def _shown_for_days(
    harness: Harness, site: ScriptedSite, message: str, days: int
) -> tuple[int, list[str]]:
    """Return the source of a page that showed ``message`` in place of its text, polled every
    six hours for ``days``, and what each poll came to."""
    site.set("/p", Route(REAL))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    site.set("/p", Route(in_place(message)))
    kinds = []
    for _ in range(days * 4):
        harness.clock.advance(timedelta(hours=6))
        kinds.append(await poll(harness.deps, source))
    return source, kinds


async def _a_notice_that_the_page_is_gone_goes_to_the_editor(
    harness: Harness, site: ScriptedSite
) -> None:
    source, kinds = await _shown_for_days(harness, site, NO_LONGER, 4)

    assert set(kinds) == {"failed"}
    assert await harness.events() == []  # nobody told by the poller
    row = await harness.source(source)
    assert row.gone_at is not None and row.gone_at - row.missing_since >= timedelta(days=3)
    async with harness.deps.sessions() as session, session.begin():
        (waiting,) = await read_api.gone_pages(session)
        assert waiting.source_id == source
        assert (waiting.shows, waiting.said) == (read_api.Absence.NOT_THERE, NO_LONGER)
        removed = await command_api.confirm_page_gone(session, source, harness.clock.now())
    assert removed is not None and removed.source_id == source  # its followers are told once


async def test_a_page_no_longer_there_in_its_own_words_is_put_to_its_editor_as_gone(
    site: ScriptedSite, harness: Harness
) -> None:
    await _a_notice_that_the_page_is_gone_goes_to_the_editor(harness, site)


async def test_a_page_no_longer_there_in_its_own_words_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _a_notice_that_the_page_is_gone_goes_to_the_editor(make_harness(postgres_url), site)


async def test_an_error_message_shown_for_days_is_put_to_its_editor_not_failed_for_ever(
    site: ScriptedSite, harness: Harness
) -> None:
    source, _ = await _shown_for_days(harness, site, "Det oppstod en feil", 4)

    row = await harness.source(source)
    assert row.status == "failing" and row.gone_at is not None  # operators, then the editor
    assert await harness.events() == []
    # Put to the editor as what it is, not as a page that no longer exists.
    async with harness.deps.sessions() as session:
        (waiting,) = await read_api.gone_pages(session)
    assert (waiting.shows, waiting.said) == (read_api.Absence.ERROR_MESSAGE, "Det oppstod en feil")


async def test_an_error_message_for_a_day_among_real_readings_is_put_to_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    source, _ = await _shown_for_days(harness, site, NO_LONGER, 1)
    site.set("/p", Route(REAL))
    assert await poll(harness.deps, source) == "unchanged"
    site.set("/p", Route(in_place(NO_LONGER)))
    for _ in range(8):
        harness.clock.advance(timedelta(hours=6))
        assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.gone_at is None  # the count started again at the second message: two days
    assert await harness.events() == []
