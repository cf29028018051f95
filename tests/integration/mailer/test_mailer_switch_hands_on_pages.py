"""A digest reader who switches to alerts at once gets what waited as one mail per page: the
page's latest version, saying how often it changed, with what the earlier changes said
(docs/decisions/0016, point 7). Each change still reaches them once: a handler that dies
half-way leaves nothing behind, and one run again adds nothing."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from services.mailer import handlers as mailer
from shared.events import PreferencesChanged
from shared.vocabulary import Frequency, Language
from tests.integration.mailer.digests_support import digest_now
from tests.integration.mailer.harness import Harness, at

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
ADDRESS = "uke@example.org"
PAGE = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
MONDAY = at("2026-11-23T10:00:00+00:00")  # after the weekly run


class Crash(Exception):
    """The mailer dies before its transaction commits."""


async def _weekly_with_thirty_edits(harness: Harness) -> uuid.UUID:
    harness.clock.set(MONDAY)
    person = await harness.subscribe(ADDRESS, frequency="weekly")
    await harness.seeded()
    for i in range(30):
        harness.clock.set(MONDAY + timedelta(hours=2 * i + 1))
        await harness.change(f"Side v{i}", url=PAGE, summary=f"Endret avsnitt {i}.")
    await harness.change("Annen side", url="https://www.fhi.no/annen/", summary="Ny tabell.")
    await harness.send_all()
    assert harness.received() == []
    harness.clock.set(at("2026-11-26T12:00:00+00:00"))
    return person


def _mails(harness: Harness) -> list[tuple[str, str, str]]:
    found = []
    for mail in harness.received_by(ADDRESS):
        plain = mail.message.get_body(preferencelist=("plain",))
        html = mail.message.get_body(preferencelist=("html",))
        assert plain is not None and html is not None
        found.append((str(mail.message["Subject"]), plain.get_content(), html.get_content()))
    return found


def _assert_one_mail_per_page(harness: Harness) -> None:
    mails = _mails(harness)
    assert sorted(subject.split(": ", 1)[1] for subject, _, _ in mails) == [
        "Annen side",
        "Side v29",
    ]
    [(_, plain, html)] = [m for m in mails if "Side v29" in m[0]]
    for part in (plain, html):
        assert "Siden er endret 30 ganger mens varslene dine ble samlet" in part
        assert [int(n) for n in re.findall(r"Endret avsnitt (\d+)\.", part)] == [
            29,
            28,
            27,
            26,
            25,
            24,
        ]
        assert "og 24 tidligere endringer." in part
    [(_, other, _)] = [m for m in mails if "Annen side" in m[0]]
    assert "ganger" not in other  # a page changed once says nothing of the sort


@BOTH
async def test_what_waited_for_the_weekly_digest_comes_as_one_mail_per_page(
    harness: Harness,
) -> None:
    person = await _weekly_with_thirty_edits(harness)
    await harness.change_frequency(person, "immediate")
    await harness.send_all()
    _assert_one_mail_per_page(harness)

    # Told once: the next change is one alert, and a switch back to weekly repeats nothing.
    await harness.change("Side v30", url=PAGE, summary="Endret avsnitt 30.")
    await harness.send_all()
    assert len(_mails(harness)) == 3
    harness.clock.set(at("2026-11-27T12:00:00+00:00"))
    await harness.change_frequency(person, "weekly")
    harness.clock.set(at("2026-11-30T06:30:00+00:00"))
    await digest_now(harness)
    assert len(_mails(harness)) == 3


@BOTH
async def test_a_switch_whose_handler_dies_half_way_is_told_once_when_run_again(
    harness: Harness,
) -> None:
    person = await _weekly_with_thirty_edits(harness)
    await harness.change_frequency(person, "immediate", relay=False)
    event = PreferencesChanged(
        subscriber_id=person,
        topics=("norge-i-verden",),
        frequency=Frequency.IMMEDIATE,
        language=Language.NB,
        previous_frequency=Frequency.WEEKLY,
    )
    with pytest.raises(Crash):
        async with harness.runtime.sessions() as session, session.begin():
            await mailer.preferences_changed(session, harness.mailer.deps, event)
            raise Crash  # after the alerts were queued, before the commit
    assert await harness.deliveries("alert") == []
    await harness.relay()  # the event again, through the bus
    await harness.send_all()
    _assert_one_mail_per_page(harness)
    # The handler run once more (an event delivered again past the inbox) adds nothing.
    async with harness.runtime.sessions() as session, session.begin():
        await mailer.preferences_changed(session, harness.mailer.deps, event)
    await harness.send_all()
    assert len(_mails(harness)) == 2
