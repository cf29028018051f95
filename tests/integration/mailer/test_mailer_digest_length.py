"""A digest too long to list whole is cut short with a link to the rest, never dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.clock import FrozenClock
from tests.integration.mailer.digests_support import ADDRESS, digest_now, titles
from tests.integration.mailer.faults import LoopbackSmtp
from tests.integration.mailer.harness import CATALOGUE, Harness, at, on


async def huge_digest(harness: Harness, topic: str) -> tuple[list[str], str]:
    """Send a daily follower of a topic a digest too long to list whole: its titles and text."""
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, topics=(topic,), frequency="daily")
    await harness.seeded()
    for n in range(24):
        harness.clock.advance(timedelta(minutes=1))
        await harness.change(f"Endring {n:02d}", topics=(topic,))
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    await digest_now(harness)
    (listed,) = titles(harness)
    assert 0 < len(listed) < 24
    plain = harness.received()[0].message.get_body(preferencelist=("plain",))
    assert plain is not None
    return listed, plain.get_content()


@on("sqlite")
async def test_a_huge_digest_is_shortened_with_a_link_not_dropped(harness: Harness) -> None:
    listed, text = await huge_digest(harness, "norge-i-verden")
    assert f"{24 - len(listed)} endringer til i «Norge i verden» vises ikke her." in text
    # The link leads to where the changes are listed: the topic's public page of its changes,
    # in the mail's language, not the watched page, which lists none of them.
    lines = text.splitlines()
    link = lines[lines.index("Se alle endringer i «Norge i verden»:") + 1]
    assert link == "http://127.0.0.1:8000/topics/norge-i-verden/changes?lang=nb"
    assert "https://www.fhi.no/om/internasjonalt/norge-i-verden/" not in text


@on("sqlite")
async def test_a_topic_page_with_norwegian_letters_still_gets_its_digest(
    database_url: str, smtp: LoopbackSmtp, clock: FrozenClock, tmp_path: Path
) -> None:
    # A topic's page is whatever address the publisher gave, «ø» and all: it never fails the
    # digest, which links the topic's page of changes for the rest.
    page = "https://www.fhi.no/vaksiner/røde-hunder/"
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(
        CATALOGUE.replace('page = "https://www.fhi.no/vaksiner/"', f'page = "{page}"')
    )
    harness = Harness.build(database_url, smtp.url, catalogue, clock, smtp.mailbox)
    try:
        await harness.store_catalogue()
        _, text = await huge_digest(harness, "vaksiner")
        assert "http://127.0.0.1:8000/topics/vaksiner/changes?lang=nb" in text
    finally:
        await harness.close()
