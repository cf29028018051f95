"""A change no watched source claims waits for review when a topic it names is reviewed whole.

A CMS may push a change for a page nobody watches; a topic whose every source is in review mode
must not hear of it unseen (docs/publishing.md). Real SQLite and PostgreSQL, real SMTP.
"""

from __future__ import annotations

import uuid

import pytest

from services.admin import catalogue as admin_catalogue
from services.mailer import read_api
from shared.catalogue import parse_catalogue_text
from shared.db import transaction
from shared.events import ContentChanged
from shared.vocabulary import ChangeProducer, SourceKind
from tests.integration.mailer.harness import CATALOGUE, Harness

KARI = "kari@example.org"
# Vaccines' only source is in review; Norway in the world keeps an automatic one beside it.
REVIEWED = CATALOGUE.replace(
    'url = "https://www.fhi.no/vaksiner/"\nkind = "page"\ntopics = ["vaksiner"]\n',
    'url = "https://www.fhi.no/vaksiner/"\nkind = "page"\ntopics = ["vaksiner"]\nmode = "review"\n',
) + (
    '\n[[sources]]\nurl = "https://www.fhi.no/norge-i-verden/til-vurdering"\nkind = "page"\n'
    'topics = ["norge-i-verden"]\nmode = "review"\n'
)


@pytest.fixture
async def reviewed(harness: Harness) -> Harness:
    wanted = parse_catalogue_text(REVIEWED, "test")
    async with transaction(harness.runtime.sessions) as session:
        now = harness.clock.now()
        await admin_catalogue.apply(
            session, wanted, actor="test", client="127.0.0.1", origin="test", now=now
        )
    await harness.relay()
    await harness.subscribe(KARI, topics=("norge-i-verden", "vaksiner"))
    await harness.seeded()
    return harness


async def _pushed(harness: Harness, title: str, topics: tuple[str, ...]) -> uuid.UUID:
    """Let a CMS push a change for a page no source watches."""
    url = f"https://www.fhi.no/nye-sider/{uuid.uuid4().hex[:8]}"
    event = ContentChanged(
        source_id=None,
        source_url=url,
        kind=SourceKind.PAGE,
        topics=topics,
        title=title,
        url=url,
        summary=f"Nytt om {title}.",
        occurred_at=harness.clock.now(),
        producer=ChangeProducer.PUBLISHER,
    )
    await harness.publish(event)
    return event.event_id


async def test_a_push_for_an_unwatched_page_of_a_reviewed_topic_waits_on_the_desk(
    reviewed: Harness,
) -> None:
    harness = reviewed
    vaccines = await _pushed(harness, "Ny vaksineside", ("vaksiner",))
    both = await _pushed(harness, "Felles side", ("norge-i-verden", "vaksiner"))
    automatic = await _pushed(harness, "Ny side om verden", ("norge-i-verden",))
    await harness.send_all()

    async with harness.runtime.sessions() as session:
        desk = await read_api.changes_on_desk(session)
    assert {(c.id, c.status) for c in desk} == {
        (vaccines, read_api.ChangeStatus.WAITING),
        (both, read_api.ChangeStatus.WAITING),  # one reviewed topic holds it for all
    }
    (alert,) = harness.received()
    assert "Ny side om verden" in str(alert.message["Subject"])
    assert automatic not in {c.id for c in desk}
