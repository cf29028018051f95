"""Erasure leaves the address nowhere: every table of the database and every log line is searched.

A person signs up, confirms, changes preferences and gets real mail over SMTP (aiosmtpd); an
alert and a digest item wait for them; they erase. Then the whole database is dumped through its
own catalogue (not only the tables the code knows) and the address is looked for in every case
variant, whole and in parts. The consent ledger must tell the whole story under a keyed hash,
with rows only ever added.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from services.mailer.adapters.tables import DigestCursor
from services.subscriptions.adapters.tables import ConsentRecord
from shared.events import ContentChanged
from shared.logs import configure_logging
from shared.outbox import OutboxRow, record
from shared.tokens import address_hash
from tests.support.journey import form_with, hidden_fields
from tests.support.notices import NOTICES
from tests.support.smtp import Received, SmtpServer
from varsel.schema import metadata

from .harness import SECRET, TOPIC, UNRELATED, Harness, csrf, running, sign_up

TYPED = "Kari.Nordmann-Varseltest@Eksempel-Kommune.NO"
NORMAL = "kari.nordmann-varseltest@eksempel-kommune.no"
# The address, its parts, and the normalised form; searched case-insensitively.
NEEDLES = (TYPED, NORMAL, "Kari.Nordmann-Varseltest", "Eksempel-Kommune.NO", "nordmann-varseltest")
# aiosmtpd is the test's own mail server standing in for the recipient's: its log is not ours.
FOREIGN_LOGGERS = ("mail.log",)


async def _mail(smtp: SmtpServer, count: int) -> Received:
    for _ in range(600):
        if len(smtp.mailbox.messages) >= count:
            return smtp.mailbox.messages[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"mail {count} did not arrive")


def _link(mail: Received, path: str) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(rf"/{path}/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", body.get_content())
    assert match, f"no /{path}/ link in the mail"
    return match.group(1)


async def _settled(h: Harness) -> None:
    """Wait until the relay published every event (and so the mailer consumed them)."""
    for _ in range(600):
        pending = await h.count(OutboxRow, OutboxRow.published_at.is_(None))
        if pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def _changed(h: Harness, topic: str, title: str) -> None:
    async with h.runtime.sessions() as session, session.begin():
        await record(
            session,
            ContentChanged(
                source_id=1,
                source_url="https://www.fhi.no/om/fhi-og-verden/",
                kind="page",
                topics=(topic,),
                title=title,
                url="https://www.fhi.no/om/fhi-og-verden/",
                summary="Et nytt avsnitt.",
                occurred_at=h.clock.now(),
            ),
        )
    h.runtime.relay.wake()
    await _settled(h)


async def _ledger_snapshot(h: Harness) -> list[tuple[Any, ...]]:
    return [
        (r.id, r.subject_hash, r.action, tuple(r.topics), r.frequency, r.privacy_hash, r.channel)
        for r in await h.ledger()
    ]


async def _dump(h: Harness) -> dict[str, list[str]]:
    """Return every row of every table the database itself lists, as text."""
    async with h.runtime.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            names = (
                await connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'table'")
                )
            ).scalars()
        else:
            names = (
                await connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    )
                )
            ).scalars()
        tables = sorted(names)
        known = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        quote = connection.dialect.identifier_preparer.quote
        dump: dict[str, list[str]] = {}
        for table in tables:
            rows = (await connection.execute(text(f"SELECT * FROM {quote(table)}"))).all()
            dump[table] = [repr(tuple(row)) for row in rows]
    assert set(tables) >= known
    return dump


def _found(haystack: str) -> list[str]:
    lowered = haystack.lower()
    return [needle for needle in NEEDLES if needle.lower() in lowered]


async def test_erasure_leaves_the_address_nowhere(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The product's own logging set-up (which quietens chatty drivers such as aiosqlite, whose
    # DEBUG lines echo SQL parameters), with the capture handler put back behind it unfiltered.
    root = logging.getLogger()
    logging_before = (list(root.handlers), root.level)
    configure_logging("DEBUG")
    root.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    smtp = SmtpServer()
    smtp.start()
    snapshots: list[list[tuple[Any, ...]]] = []
    try:
        async with running(
            database_url,
            tmp_path,
            services=("subscriptions", "mailer"),
            smtp_url=smtp.url,
            mail_poll_seconds=0.05,
        ) as h:
            # 1. Sign up (with a related topic) and get one confirmation mail.
            answer = await sign_up(h.client, TYPED, related=["pa-tvers-av-sektorer"])
            assert answer.status_code == 200
            confirmation = await _mail(smtp, 1)
            assert confirmation.recipients == [NORMAL]
            snapshots.append(await _ledger_snapshot(h))

            # 2. Confirm: the link shows a button, the button confirms.
            token = _link(confirmation, "confirm")
            page = await h.client.get(f"/confirm/{token}")
            done = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))
            assert "Du har meldt deg på nyhetsvarsel for:" in done.text
            snapshots.append(await _ledger_snapshot(h))

            # 3. Change preferences on the manage page.
            manage = re.search(r'href="/manage/([^"?]+)', done.text)
            assert manage
            page = await h.client.get(f"/manage/{manage.group(1)}")
            saved = await h.client.post(
                f"/manage/{manage.group(1)}",
                data={
                    **hidden_fields(page.text),
                    "action": "save",
                    "topics": [TOPIC, UNRELATED],
                    "frequency": "immediate",
                },
            )
            assert saved.status_code == 303, saved.text
            await _settled(h)
            snapshots.append(await _ledger_snapshot(h))

            # 4. Mail: an alert, and a fresh manage link asked for by address.
            await _changed(h, TOPIC, "Norge i verden")
            alert = await _mail(smtp, 2)
            assert alert.recipients == [NORMAL]
            assert "List-Unsubscribe" in alert.message
            form = csrf((await h.client.get("/manage-link")).text)
            await h.client.post("/manage-link", data={"email": TYPED, "csrf_token": form})
            await _mail(smtp, 3)

            # 5. Switch to a weekly digest; a change waits for it, unsent.
            page = await h.client.get(f"/manage/{manage.group(1)}")
            await h.client.post(
                f"/manage/{manage.group(1)}",
                data={
                    **hidden_fields(page.text),
                    "action": "save",
                    "topics": [TOPIC],
                    "frequency": "weekly",
                },
            )
            await _settled(h)
            h.clock.advance(timedelta(minutes=1))
            await _changed(h, TOPIC, "Norge i verden, igjen")
            assert await h.count(DigestCursor) == 1  # their place in the release log
            snapshots.append(await _ledger_snapshot(h))

            # The search does find the address while it is still there.
            before = await _dump(h)
            assert _found("\n".join(before["sub_subscribers"])) == list(NEEDLES)

            # 6. Erase with the link in the alert.
            unsubscribe = _link(alert, "unsubscribe")
            page = await h.client.get(f"/unsubscribe/{unsubscribe}")
            action, data = form_with(page.text, "erase")
            erased = await h.client.post(action, data=data)
            assert erased.status_code == 200
            assert "E-postadressen din er slettet" in erased.text
            assert "Det vi beholder" in erased.text  # what is kept, and why
            await _settled(h)
            snapshots.append(await _ledger_snapshot(h))
            assert await h.count(DigestCursor) == 0  # their place in the release log dropped

            dump = await _dump(h)
            for table in metadata().tables:
                assert table in dump, f"table {table} missing from the database"
            ledger = await h.ledger()
            sent = len(smtp.mailbox.messages)
    finally:
        smtp.stop()
        root.handlers[:], root.level = logging_before

    # Nothing of the address in any row of any table...
    leaks = {table: _found("\n".join(rows)) for table, rows in dump.items()}
    assert {t: found for t, found in leaks.items() if found} == {}
    assert sum(len(rows) for rows in dump.values()) > 20  # the dump did see data
    # ... nor in any log line, at any level.
    lines = [
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if r.name not in FOREIGN_LOGGERS
    ]
    assert len(lines) > 0
    assert [line for line in lines if _found(line)] == []
    assert sent == 3  # confirmation, alert, manage link; nothing after erasure

    # The consent ledger tells the story under the keyed hash, and only ever grew.
    subject = address_hash(SECRET, NORMAL)
    actions = [r.action for r in ledger]
    for action in ("requested", "confirmed", "preferences_changed", "unsubscribed", "erased"):
        assert action in actions, action
    assert actions[-1] == "erased"
    assert {r.subject_hash for r in ledger} == {subject}
    assert {r.privacy_version for r in ledger} == {NOTICES.current("nb").version}
    assert {r.privacy_hash for r in ledger} == {NOTICES.current("nb").sha256}
    token = next(r for r in ledger if r.action == "confirmed").token_id
    assert token
    # ... and nothing else kept leads to those rows: not the confirmation mail's delivery, not
    # the events that named the sign-up request.
    linked = {table for table, rows in dump.items() if token in "\n".join(rows)}
    assert linked == {"sub_consent_ledger"}
    ids = [r.id for r in ledger]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for earlier, later in itertools.pairwise(snapshots):
        assert len(later) > len(earlier)
        assert later[: len(earlier)] == earlier, "a ledger row was changed"
    assert snapshots[-1] == await_free_snapshot(ledger)


def await_free_snapshot(ledger: list[ConsentRecord]) -> list[tuple[Any, ...]]:
    """Return the same projection as ``_ledger_snapshot`` for rows already read."""
    return [
        (r.id, r.subject_hash, r.action, tuple(r.topics), r.frequency, r.privacy_hash, r.channel)
        for r in ledger
    ]
