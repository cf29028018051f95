"""Review mode in the mailer: a change of a review source waits, then goes out once, as decided.

Real database (SQLite and PostgreSQL) and a real SMTP server on loopback; the decisions go
through the mailer's ``command_api`` as the editor's desk sends them, and the approval's event
is then relayed to the mailer's consumer, as a running process's relay does.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from services.mailer import command_api, read_api
from tests.integration.mailer.harness import Harness, at, on
from tests.integration.mailer.review_support import DAILY, EDITOR, NOW, released, reviewed, staff

__all__ = ["reviewed"]  # the fixture, used by name


async def _decide(
    harness: Harness,
    change_id: uuid.UUID,
    decision: str,
    version: int,
    note: str | None = None,
    actor: str = "redaktor",
) -> command_api.Decided:
    decided = await command_api.decide_change(
        harness.runtime,
        change_id,
        command_api.Decision(decision),
        version=version,
        note=note,
        actor=actor,
    )
    await harness.relay()  # an approval's followers are told by the consumer of its event
    return decided


async def test_a_held_change_sends_nothing_until_approved_then_once_with_the_note(
    reviewed: Harness,
) -> None:
    harness = reviewed
    event = await harness.change("Ny veileder", summary="Generert sammendrag.")
    await harness.send_all()
    assert harness.received() == [], "a change of a review source waits on the desk"
    assert await released(harness, event.event_id) == 0
    async with harness.runtime.sessions() as session:
        desk = await read_api.changes_on_desk(session)
        feed = await read_api.topic_changes(session, "norge-i-verden")
    assert [(c.id, c.status, c.version) for c in desk] == [
        (event.event_id, read_api.ChangeStatus.WAITING, 0)
    ]
    assert feed == [], "the feed shows only what people were told"

    decided = await _decide(harness, event.event_id, "approve", 0, "  Fristen er flyttet.  ")
    assert (decided.status, decided.version) == ("approved", 1)
    await harness.send_all()
    (alert,) = harness.received()
    assert alert.recipients == [NOW]
    body = alert.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Fristen er flyttet." in text and "Generert sammendrag." not in text
    assert await released(harness, event.event_id) == 1, "the daily person gets it in a digest"

    with pytest.raises(command_api.ReviewRefused) as refused:
        await _decide(harness, event.event_id, "approve", 1, "Igjen")
    assert refused.value.reason == "already_decided"
    await harness.send_all()
    assert len(harness.received()) == 1, "approving twice sends once"
    async with harness.runtime.sessions() as session:
        assert await read_api.changes_on_desk(session) == []
        (shown,) = await read_api.topic_changes(session, "norge-i-verden")
        (done,) = await read_api.recent_decisions(session)
    assert shown.summary == "Fristen er flyttet."
    assert (done.decided_by, done.note) == ("redaktor", "Fristen er flyttet.")


async def test_a_minor_change_alerts_nobody_and_is_recorded(reviewed: Harness) -> None:
    harness = reviewed
    event = await harness.change("Skrivefeil rettet")
    decided = await _decide(harness, event.event_id, "minor", 0, "Skrivefeil.")
    assert decided.status == "minor"
    await harness.send_all()
    assert harness.received() == []
    assert await released(harness, event.event_id) == 0
    async with harness.runtime.sessions() as session:
        recorded = await read_api.change_on_desk(session, event.event_id)
        assert await read_api.topic_changes(session, "norge-i-verden") == []
    assert recorded is not None and recorded.status == "minor" and not recorded.is_open
    with pytest.raises(command_api.ReviewRefused):
        await _decide(harness, event.event_id, "approve", 1)
    await harness.send_all()
    assert harness.received() == []


async def test_a_hold_keeps_the_change_on_the_desk_with_its_draft_note(reviewed: Harness) -> None:
    harness = reviewed
    event = await harness.change("Ny tabell")
    held = await _decide(harness, event.event_id, "hold", 0, "Utkast")
    assert (held.status, held.version) == ("held", 1)
    await harness.send_all()
    assert harness.received() == []
    async with harness.runtime.sessions() as session:
        (on_desk,) = await read_api.changes_on_desk(session)
    assert (on_desk.status, on_desk.note, on_desk.version) == ("held", "Utkast", 1)
    with pytest.raises(command_api.ReviewRefused) as stale:
        await _decide(harness, event.event_id, "approve", 0)  # the version before the hold
    assert stale.value.reason == "decided_by_you"  # the same editor held it
    with pytest.raises(command_api.ReviewRefused) as stale:
        await _decide(harness, event.event_id, "approve", 0, actor="kari")
    assert stale.value.reason == "already_decided"
    await _decide(harness, event.event_id, "approve", 1, "Endelig tekst")
    await harness.send_all()
    assert [m.recipients for m in harness.received()] == [[NOW]]


async def test_two_editors_deciding_at_once_one_wins_the_other_is_told(reviewed: Harness) -> None:
    harness = reviewed
    event = await harness.change("Samtidig")
    outcomes = await asyncio.gather(
        _decide(harness, event.event_id, "approve", 0, "Fra redaktør A", actor="a"),
        _decide(harness, event.event_id, "minor", 0, "Fra redaktør B", actor="b"),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, command_api.Decided)]
    lost = [o for o in outcomes if isinstance(o, command_api.ReviewRefused)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].reason == "already_decided"
    await harness.send_all()
    expected = 1 if won[0].status == "approved" else 0
    assert len(harness.received()) == expected


@on("sqlite")
async def test_automatic_sources_still_send_at_once_and_a_minor_push_alerts_nobody(
    reviewed: Harness,
) -> None:
    harness = reviewed
    await harness.change("Vaksiner: ny side", topics=("vaksiner",))  # vaksiner is automatic
    await harness.subscribe("per@example.org", topics=("vaksiner",))
    await harness.seeded()
    await harness.change("Vaksiner: endret", topics=("vaksiner",))
    minor = await harness.change("Vaksiner: komma", topics=("vaksiner",), minor=True)
    await harness.send_all()
    assert [m.recipients for m in harness.received()] == [["per@example.org"]]
    async with harness.runtime.sessions() as session:
        stored = await read_api.change_on_desk(session, minor.event_id)
    assert stored is not None and stored.status == "minor"


@on("sqlite")
async def test_the_audit_callback_runs_in_the_deciding_transaction(reviewed: Harness) -> None:
    harness = reviewed
    event = await harness.change("Revidert")
    seen: list[command_api.Decided] = []
    with pytest.raises(RuntimeError):

        def failing_audit(_session: object, decided: command_api.Decided) -> None:
            seen.append(decided)
            raise RuntimeError("the audit log is unwritable")

        await command_api.decide_change(
            harness.runtime,
            event.event_id,
            command_api.Decision.APPROVE,
            version=0,
            note=None,
            actor="redaktor",
            audit=failing_audit,
        )
    assert len(seen) == 1
    await harness.relay()
    await harness.send_all()
    assert harness.received() == [], "no record, no decision"
    async with harness.runtime.sessions() as session:
        (still,) = await read_api.changes_on_desk(session)
    assert (still.status, still.version) == ("waiting", 0)


@pytest.fixture
def harness_settings() -> dict[str, object]:
    return {"review_reminder_after": "2h"}


async def test_a_change_waiting_too_long_is_mailed_to_editors_once(reviewed: Harness) -> None:
    harness = reviewed
    await staff(harness)
    waiting = await harness.change("Venter lenge")
    held = await harness.change("Holdt tilbake")
    await _decide(harness, held.event_id, "hold", 0)
    reminders = harness.mailer.reminders

    harness.clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert await reminders.remind_overdue() == 0, "not yet overdue"
    harness.clock.advance(timedelta(seconds=1))
    assert await reminders.remind_overdue() == 1
    await harness.send_all()  # queued with the mark, sent by the delivery worker
    (mail,) = harness.received()
    assert mail.recipients == [EDITOR], "editors with an address, nobody else"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Venter lenge" in text and f"/admin/desk/{waiting.event_id}" in text
    assert "Holdt tilbake" not in text, "a held change has been seen: no reminder"

    harness.clock.advance(timedelta(days=1))
    assert await reminders.remind_overdue() == 0, "once"
    await harness.send_all()
    assert len(harness.received()) == 1, "the subscriber got nothing: the changes still wait"


async def test_two_mailers_remind_of_a_change_once_between_them(reviewed: Harness) -> None:
    harness = reviewed
    await staff(harness)
    await harness.change("Venter")
    harness.clock.advance(timedelta(hours=3))
    counts = await asyncio.gather(
        harness.mailer.reminders.remind_overdue(), harness.mailer.reminders.remind_overdue()
    )
    assert sorted(counts) == [0, 1]
    await harness.send_all()
    assert len(harness.received()) == 1


@on("sqlite")
async def test_the_daily_digest_carries_the_approved_note(reviewed: Harness) -> None:
    harness = reviewed
    event = await harness.change("Ny rapport", summary="Generert sammendrag.")
    await _decide(harness, event.event_id, "approve", 0, "Godkjent merknad.")
    await harness.send_all()
    harness.clock.set(at("2026-11-24T06:00:00+00:00"))  # 07:00 in Oslo: the daily run
    await harness.mailer.digests.run_due()
    await harness.send_all()
    (digest,) = harness.received_by(DAILY)
    body = digest.message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Godkjent merknad." in body.get_content()
    assert "Generert sammendrag." not in body.get_content()
