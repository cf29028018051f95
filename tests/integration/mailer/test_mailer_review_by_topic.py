"""A change no watched source claims waits for review when a topic it names is reviewed whole.

A CMS may push a change for a page nobody watches; a topic whose every source is in review mode
must not hear of it unseen (docs/publishing.md). Real SQLite and PostgreSQL, real SMTP.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from services.admin import catalogue as admin_catalogue
from services.admin import read_api as admin_read
from services.mailer import command_api, read_api
from services.watcher.domain.push import Push, WatchedMatch, change_event, source_named
from shared.catalogue_file import parse_catalogue_text
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
    # One page of a site that tells its pages apart by a query, in review, beside the
    # automatic source at the same path.
    '\n[[sources]]\nurl = "https://www.fhi.no/side?id=3"\nkind = "page"\n'
    'topics = ["norge-i-verden"]\nmode = "review"\n'
    '\n[[sources]]\nurl = "https://www.fhi.no/side"\nkind = "page"\n'
    'topics = ["norge-i-verden"]\n'
)
WATCHED = (
    WatchedMatch(3, "https://www.fhi.no/side", SourceKind.PAGE),
    WatchedMatch(4, "https://www.fhi.no/side?id=3", SourceKind.PAGE),
)


async def _applied(harness: Harness, text: str) -> None:
    """Apply a catalogue as an editor does, and let every consumer have its events."""
    wanted = parse_catalogue_text(text, "test")
    async with transaction(harness.runtime.sessions) as session:
        now = harness.clock.now()
        await admin_catalogue.apply(
            session, wanted, actor="test", client="127.0.0.1", origin="test", now=now
        )
    await harness.relay()


@pytest.fixture
async def reviewed(harness: Harness) -> Harness:
    await _applied(harness, REVIEWED)
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


async def _pushed_to(harness: Harness, url: str, title: str) -> uuid.UUID:
    """Push a change for an address as the publisher API does: to the source it names, if any."""
    push = Push(("norge-i-verden",), url, title, f"Nytt om {title}.", minor=False)
    event = change_event(push, source_named(url, WATCHED), uuid.uuid4(), harness.clock.now())
    await harness.publish(event)
    return event.event_id


async def test_a_push_at_a_review_sources_place_waits_whatever_its_query_and_topic(
    reviewed: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = reviewed
    # Norway in the world has automatic sources too, so the topic alone holds nothing here.
    extra = await _pushed_to(harness, "https://www.fhi.no/side?id=3&lang=en", "Ekstra parameter")
    unwatched = await _pushed_to(
        harness, "https://www.fhi.no/norge-i-verden/til-vurdering?lang=en", "Engelsk utgave"
    )
    # At a place where a query makes another page, which parameters do is the site's secret.
    listed = await _pushed_to(harness, "https://www.fhi.no/side?visning=liste", "Liste")
    automatic = await _pushed_to(harness, "https://www.fhi.no/side/", "Selve siden")
    with caplog.at_level(logging.WARNING, logger="services.mailer.handlers"):
        elsewhere = await _pushed_to(harness, "https://www.fhi.no/ny-side", "Helt ny side")
    await harness.send_all()

    async with harness.runtime.sessions() as session:
        desk = {c.id: c.status for c in await read_api.changes_on_desk(session)}
    assert desk == {
        extra: read_api.ChangeStatus.WAITING,  # named the automatic /side, held by ?id=3
        unwatched: read_api.ChangeStatus.WAITING,
        listed: read_api.ChangeStatus.WAITING,
    }
    subjects = sorted(str(m.message["Subject"]) for m in harness.received())
    assert len(subjects) == 2
    assert "Helt ny side" in subjects[0] and "Selve siden" in subjects[1]
    assert automatic not in desk and elsewhere not in desk
    # The unwatched page that went out unreviewed is logged once, by its change's id only.
    (warned,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(elsewhere) in warned.getMessage() and "ny-side" not in warned.getMessage()


async def test_an_approved_change_names_the_topic_still_followed_not_one_ended_meanwhile(
    reviewed: Harness,
) -> None:
    harness = reviewed
    both = await _pushed(harness, "Felles side", ("vaksiner", "norge-i-verden"))
    # Vaccines ends while the change waits (its source goes to the topic that goes on): Kari
    # had its last mail, which said no more would come about it.
    ended = REVIEWED.replace('slug = "vaksiner"\n', 'slug = "vaksiner"\nretired = true\n')
    ended = ended.replace('topics = ["vaksiner"]', 'topics = ["norge-i-verden"]')
    await _applied(harness, ended)
    # The mailer follows the catalogue within seconds, as every replica does.
    async with harness.runtime.sessions() as session:
        version, stored = await admin_read.current_catalogue(session)
    harness.runtime.catalogue.replace(stored, version)
    await harness.send_all()
    (last_mail,) = harness.received()
    assert "Vaksiner" in str(last_mail.message["Subject"])

    await command_api.decide_change(
        harness.runtime, both, command_api.Decision.APPROVE, version=0, note=None, actor="red"
    )
    await harness.relay()
    await harness.send_all()
    alert = harness.received()[-1]
    # The alert is about the topic Kari still follows, by its title; not the ended one, and
    # never by its short name.
    assert str(alert.message["Subject"]) == "Oppdatering i «Norge i verden»: Felles side"

    # A bulletin written for both before the topic ended says why Kari gets it by the one
    # she still follows.
    await harness.bulletin("Stengt i dag", topics=("vaksiner", "norge-i-verden"), urgent=True)
    await harness.send_all()
    bulletin = harness.received()[-1]
    why = bulletin.message.get_body(preferencelist=("plain",))
    assert why is not None and "«Norge i verden»" in why.get_content()
    assert "vaksiner" not in why.get_content().lower()
