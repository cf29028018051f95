"""A gone page an editor confirmed: each follower of its topics gets one notice, once."""

from __future__ import annotations

from services.mailer import handlers
from services.watcher import command_api
from services.watcher.adapters.tables import WatchedSource
from shared.events import PageRemoved
from tests.integration.admin import seed
from tests.integration.mailer.harness import Harness

GONE_PAGE = "https://www.fhi.no/vaksiner/"
NEW_PAGE = seed.GONE_PAGE_MOVED_TO


async def _gone_source(harness: Harness) -> int:
    """Store a watched source that has answered only 404 for four days."""
    async with harness.runtime.sessions() as session, session.begin():
        return await seed.gone_source(
            session,
            harness.clock.now(),
            ["vaksiner", "norge-i-verden"],
            url=GONE_PAGE,
            title="Vaksiner",
        )


async def _confirm(harness: Harness, source_id: int) -> PageRemoved | None:
    async with harness.runtime.sessions() as session, session.begin():
        return await command_api.confirm_page_gone(session, source_id, harness.clock.now())


async def test_each_follower_gets_one_notice_with_where_the_page_went(harness: Harness) -> None:
    both = await harness.subscribe("begge@example.no", ["vaksiner", "norge-i-verden"])
    await harness.subscribe("daglig@example.no", ["vaksiner"], frequency="daily", language="en")
    await harness.subscribe("annet@example.no", ["norge-i-verden"])
    await harness.seeded()
    source_id = await _gone_source(harness)

    event = await _confirm(harness, source_id)
    assert event is not None and event.moved_to == NEW_PAGE
    # A second editor a moment later: nothing more to confirm, nothing recorded.
    assert await _confirm(harness, source_id) is None
    await harness.relay()
    # The event delivered again (at least once): the ledger still holds one mail per person.
    async with harness.runtime.sessions() as session, session.begin():
        await handlers.page_removed(session, harness.mailer.deps, event)
    await harness.send_all()

    removed = await harness.deliveries("page_removed")
    assert len(removed) == 3  # one per person: "begge" follows two of its topics
    assert len({d.subscriber_id for d in removed}) == 3
    assert both in {d.subscriber_id for d in removed}
    for address in ("begge@example.no", "daglig@example.no", "annet@example.no"):
        (mail,) = harness.received_by(address)
        text = mail.message.get_body(("plain",))
        assert text is not None
        assert NEW_PAGE in text.get_content() and GONE_PAGE in text.get_content()
    assert "er fjernet" in harness.received_by("begge@example.no")[0].message["Subject"]
    assert "has been removed" in harness.received_by("daglig@example.no")[0].message["Subject"]


async def test_a_page_that_is_not_gone_cannot_be_confirmed(harness: Harness) -> None:
    source_id = await _gone_source(harness)
    async with harness.runtime.sessions() as session, session.begin():
        row = await session.get(WatchedSource, source_id)
        assert row is not None
        row.missing_since = row.gone_at = None  # it came back
    assert await _confirm(harness, source_id) is None
    assert await _confirm(harness, source_id + 1000) is None
    await harness.relay()
    assert await harness.deliveries("page_removed") == []
