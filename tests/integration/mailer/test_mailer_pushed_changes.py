"""Changes from any producer: a publisher's minor change alerts nobody; its words are cleaned.

The mailer takes in a ``content.changed`` event whoever produced it, so its intake, not the
watcher, is where a NUL (which PostgreSQL refuses, failing the whole fan-out) or a title longer
than the column is dealt with. Real SQLite and PostgreSQL, real SMTP on loopback.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.mailer.adapters.tables import ChangeRecord
from services.watcher.command_api import send_as_they_came
from tests.integration.mailer.harness import Harness

KARI = "kari@example.org"
DAGNY = "dagny@example.org"


async def test_a_minor_change_is_recorded_and_alerts_nobody(harness: Harness) -> None:
    await harness.subscribe(KARI)
    await harness.subscribe(DAGNY, frequency="daily")
    await harness.seeded()

    event = await harness.change("Skrivefeil rettet", minor=True, producer="publisher")
    await harness.send_all()

    assert harness.received() == []
    assert await harness.deliveries("alert") == []
    async with harness.runtime.sessions() as session:
        recorded = await session.get(ChangeRecord, event.event_id)
    assert recorded is not None and recorded.title == "Skrivefeil rettet"
    assert recorded.release_seq is None, "never in the release log the digests read"


async def test_a_pushed_change_with_control_characters_and_long_words_is_clipped_and_sent(
    harness: Harness,
) -> None:
    await harness.subscribe(KARI)
    await harness.seeded()
    title = "Ny\x00 rapport\x1b " + "lang " * 200
    too_long = "https://www.fhi.no/norge-i-verden/?" + "q" * 2100

    event = await harness.change(
        title,
        summary="Notat\x00 om\x7f endringen.",
        note="Notat om endringen.",
        url=too_long,
        source_id=None,
        producer="publisher",
    )
    await harness.send_all()

    async with harness.runtime.sessions() as session:
        record = (
            await session.scalars(select(ChangeRecord).where(ChangeRecord.id == event.event_id))
        ).one()
    assert record.title.startswith("Ny rapport lang") and record.title.endswith("…")
    assert len(record.title) <= 500
    assert record.summary == "Notat om endringen."
    assert record.url == event.source_url, "a link too long to keep falls back to the source's"
    (mail,) = harness.received_by(KARI)
    plain = mail.message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "Notat om endringen." in plain.get_content()


async def test_pushes_for_one_edit_naming_other_topics_are_one_alert_to_a_follower_of_both(
    harness: Harness,
) -> None:
    kari = await harness.subscribe(KARI, topics=("norge-i-verden", "vaksiner"))
    await harness.subscribe(DAGNY, topics=("vaksiner",))
    await harness.seeded()
    said = {"note": "Ny frist.", "producer": "publisher"}
    first = harness.change_event("Ny frist", ("norge-i-verden",), **said)
    harness.clock.advance(timedelta(seconds=5))
    second = harness.change_event(
        "Ny frist", ("norge-i-verden", "vaksiner"), source_url=first.source_url, **said
    )

    # As the watcher sends the pushes that waited for one page (a pause, a removal, a read).
    async with harness.runtime.sessions() as session, session.begin():
        await send_as_they_came(session, [first, second])
    await harness.relay()
    await harness.send_all()

    (mail,) = harness.received_by(KARI)  # one edit: one alert, not one per push
    assert "Ny frist" in str(mail.message["Subject"])
    assert len(harness.received_by(DAGNY)) == 1  # the topic only the later push named is told
    alerts = await harness.deliveries("alert")
    assert [d.subscriber_id for d in alerts].count(kari) == 1
