"""Bulletins through the real mailer: one mail per person, now or in the next digest, and
nothing for people who left before it was sent."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from services.admin import handlers as admin_handlers
from services.mailer import handlers as mailer_handlers
from services.mailer.adapters import bulletins
from services.mailer.retention import purge_deliveries
from shared.events import BulletinTestRequested, PageRemoved
from shared.outbox import record
from tests.integration.mailer.harness import CATALOGUE, Harness, write_catalogue
from tests.support.catalogues import apply_file
from tests.support.smtp import Received

BOTH = ("norge-i-verden", "vaksiner")


def subjects(harness: Harness, address: str) -> list[str]:
    """Return the subjects of the mails one address got, in order."""
    return [str(m.message["Subject"]) for m in harness.received_by(address)]


def plain(mail: Received) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def test_urgent_bulletin_reaches_every_follower_now_once(harness: Harness) -> None:
    await harness.subscribe("now@example.org", topics=BOTH, frequency="immediate")
    await harness.subscribe("daily@example.org", topics=BOTH, frequency="daily")
    await harness.subscribe("weekly@example.org", topics=("vaksiner",), frequency="weekly")
    await harness.subscribe("en@example.org", frequency="weekly", language="en")
    await harness.subscribe("nn@example.org", frequency="daily", language="nn")
    await harness.subscribe("other@example.org", topics=("vaksiner",), frequency="immediate")
    await harness.seeded()

    await harness.bulletin("Stengt i dag", topics=("norge-i-verden",), urgent=True)
    await harness.send_all()

    for address in ("now@example.org", "daily@example.org", "nn@example.org"):
        assert subjects(harness, address) == ["Stengt i dag"], address
    assert subjects(harness, "en@example.org") == ["Stengt i dag (en)"]
    assert subjects(harness, "weekly@example.org") == []  # follows only the other topic
    assert subjects(harness, "other@example.org") == []

    mail = harness.received_by("daily@example.org")[0]
    # The same list headers as every mail to a follower, a text part and a safe HTML part.
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<http" in str(mail.message["List-Unsubscribe"])
    assert "Viktig: **Stengt i dag**." in plain(mail)
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<strong>Stengt i dag</strong>" in str(html.get_content())
    nn = harness.received_by("nn@example.org")[0]
    nn_html = nn.message.get_body(preferencelist=("html",))
    assert nn_html is not None and 'lang="nb"' in str(nn_html.get_content())

    # Delivered again (a broker redelivers): nobody gets a second one.
    deliveries = await harness.deliveries("bulletin")
    assert len(deliveries) == 4
    assert {d.batch_key for d in deliveries} == {deliveries[0].batch_key}
    assert deliveries[0].batch_key.startswith("bulletin:")


async def test_a_person_following_several_topics_gets_one_mail(harness: Harness) -> None:
    await harness.subscribe("both@example.org", topics=BOTH, frequency="immediate")
    await harness.subscribe("digest@example.org", topics=BOTH, frequency="daily")
    await harness.seeded()
    event = await harness.bulletin("Til alle", topics=BOTH, urgent=False)
    async with harness.runtime.sessions() as session, session.begin():
        # The same event taken in twice (a redelivery past the inbox) adds nothing.
        await mailer_handlers.bulletin_published(session, harness.mailer.deps, event)
    await harness.send_all()
    assert subjects(harness, "both@example.org") == ["Til alle"]
    assert subjects(harness, "digest@example.org") == []  # waits for the next digest

    harness.clock.set(harness.clock.now() + timedelta(days=1))
    await harness.mailer.digests.run_due()
    await harness.send_all()
    (digest,) = harness.received_by("digest@example.org")
    assert str(digest.message["Subject"]).endswith(": 1 melding")
    assert plain(digest).count("Viktig: **Til alle**.") == 1


async def test_normal_bulletin_waits_for_the_digest_beside_the_changes(harness: Harness) -> None:
    await harness.subscribe("daily@example.org", frequency="daily")
    await harness.subscribe("now@example.org", frequency="immediate")
    await harness.seeded()
    await harness.change("Endring A")
    await harness.bulletin("Nytt fra redaksjonen", urgent=False)
    await harness.send_all()
    # The alert and the bulletin go out on parallel connections: either may arrive first.
    assert sorted(subjects(harness, "now@example.org")) == [
        "Nytt fra redaksjonen",
        "Oppdatering i «Norge i verden»: Endring A",
    ]
    assert subjects(harness, "daily@example.org") == []

    harness.clock.set(harness.clock.now() + timedelta(days=1))
    await harness.mailer.digests.run_due()
    await harness.send_all()
    (digest,) = harness.received_by("daily@example.org")
    text = plain(digest)
    assert "Nytt fra redaksjonen" in text and "Endring A" in text
    assert text.index("Nytt fra redaksjonen") < text.index("Endring A")


async def test_people_who_left_before_the_send_get_nothing(harness: Harness) -> None:
    gone = await harness.subscribe("gone@example.org", frequency="daily")
    erased = await harness.subscribe("erased@example.org", frequency="immediate")
    await harness.subscribe("stays@example.org", frequency="immediate")
    await harness.seeded()
    await harness.bulletin("Siste nytt", urgent=True)
    # Queued, not yet sent: one ends every alert, one erases the address.
    await harness.end_all(gone)
    await harness.erase(erased)
    for _ in range(50):  # send without relaying events, so only the send-time check can stop it
        if not await harness.mailer.worker.send_due():
            break
    assert subjects(harness, "stays@example.org") == ["Siste nytt"]
    assert subjects(harness, "gone@example.org") == []
    assert subjects(harness, "erased@example.org") == []


async def test_a_test_send_reaches_the_editors_own_address_only(harness: Harness) -> None:
    await harness.subscribe("follower@example.org", frequency="immediate")
    await harness.seeded()
    async with harness.runtime.sessions() as session, session.begin():
        rita = await admin_handlers.create_user(
            session, "rita", "editor", "correct horse battery staple", harness.clock.now()
        )
        await admin_handlers.set_email(session, "rita", "Rita@Example.no")
        await admin_handlers.create_user(
            session, "per", "editor", "correct horse battery staple", harness.clock.now()
        )
    texts = {
        "nb": {"subject": "Stengt", "body": "Kontoret er stengt."},
        "en": {"subject": "Closed", "body": "The office is closed."},
        "nn": {"subject": "Stengd", "body": "Kontoret er stengd."},
    }
    for user_id in (rita.id, rita.id + 1):  # rita has an address; per has none
        event = BulletinTestRequested.model_validate(
            {
                "bulletin_id": uuid.uuid4(),
                "topics": ["norge-i-verden"],
                "texts": texts,
                "urgent": False,
                "actor": "rita",
                "staff_user_id": user_id,
            }
        )
        async with harness.runtime.sessions() as session, session.begin():
            await record(session, event)
        await harness.relay()
    await harness.send_all()
    got = harness.received_by("rita@example.no")
    assert sorted(str(m.message["Subject"]) for m in got) == [
        "[Prøve] Stengd",
        "[Prøve] Stengt",
        "[Test] Closed",
    ]
    by_subject = {str(m.message["Subject"]): plain(m) for m in got}
    assert by_subject["[Prøve] Stengt"].startswith("Dette er en prøve.")
    assert by_subject["[Test] Closed"].startswith("This is a test.")
    # Laid out as a follower gets it: the topics named by their titles, in the mail's language.
    assert "varsler om «Norge i verden»" in by_subject["[Prøve] Stengt"]
    assert "alerts about “Norway in the world”" in by_subject["[Test] Closed"]
    assert {tuple(m.recipients) for m in harness.received()} == {("rita@example.no",)}
    assert await harness.deliveries("bulletin") == []  # the ledger is for followers only


async def test_retention_deletes_old_bulletins_no_digest_still_owes(harness: Harness) -> None:
    await harness.subscribe("now@example.org", frequency="immediate")
    await harness.subscribe("weekly@example.org", frequency="weekly")
    await harness.seeded()
    sent = await harness.bulletin("Sendt", urgent=True)
    owed = await harness.bulletin("Venter", urgent=False)
    await harness.send_all()
    # Ninety-one days later the weekly person has had no digest run yet (no runs here).
    later = harness.clock.now() + timedelta(days=91)
    async with harness.runtime.sessions() as session, session.begin():
        removed = await purge_deliveries(session, later, keep_days=90)
        left = await bulletins.by_id(session, {sent.bulletin_id, owed.bulletin_id})
    assert removed["bulletins"] == 1
    assert set(left) == {owed.bulletin_id}  # still owed to a digest


async def _end_topic(harness: Harness, tmp_path: Path, slug: str) -> None:
    """Store the catalogue, then the same with ``slug`` ended, as an editor does."""
    whole = write_catalogue(tmp_path)
    ended = tmp_path / "ended.toml"
    marker = f'slug = "{slug}"\n'
    text = CATALOGUE.replace(marker, marker + "retired = true\n")
    # Its sources move to the topic that goes on, as the catalogue requires.
    text = text.replace(f'topics = ["{slug}"]', 'topics = ["vaksiner"]')
    ended.write_text(text, encoding="utf-8")
    for path in (whole, ended):
        await apply_file(harness.runtime, path, actor="rita")
    await harness.relay()


async def test_a_bulletin_or_removal_notice_skips_the_followers_of_an_ended_topic(
    harness: Harness, tmp_path: Path
) -> None:
    # The editor's page listed the topic before it ended (each process reads the catalogue in
    # its own time): its followers had its last mail, which said no more would come.
    await harness.subscribe("ended@example.org", frequency="immediate")
    await harness.subscribe("other@example.org", topics=("vaksiner",), frequency="immediate")
    await harness.seeded()
    await _end_topic(harness, tmp_path, "norge-i-verden")
    await harness.send_all()
    last_mail = subjects(harness, "ended@example.org")
    assert len(last_mail) == 1

    await harness.bulletin("Stengt i dag", topics=BOTH, urgent=True)
    await harness.bulletin("Bare det som er slutt", urgent=True)
    await harness.publish(
        PageRemoved(
            source_id=1,
            source_url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            title="Norge i verden",
            topics=("norge-i-verden",),
            missing_since=harness.clock.now(),
        )
    )
    await harness.send_all()

    assert subjects(harness, "ended@example.org") == last_mail, "nothing after the last mail"
    assert subjects(harness, "other@example.org") == ["Stengt i dag"]
