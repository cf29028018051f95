"""Two mailer processes send one change to 20,000 people; one is killed with SIGKILL half-way.

PostgreSQL only (SKIP LOCKED claims between real processes). What is guaranteed, and why not
more, is in docs/decisions/0006-exactly-once-over-smtp.md: nobody loses the alert; nobody gets
it twice, except mails the killed process had handed to the server without having recorded it
yet. Those are at most two per SMTP connection, and a resend carries the same Message-ID.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.mailer.adapters.tables import Delivery
from services.mailer.delivery import UNRECORDED_PER_CONNECTION
from services.subscriptions import read_api
from shared.db import session_factory
from shared.schema import upgrade
from tests.integration.mailer.harness import write_catalogue
from tests.integration.mailer.processes import MailerProcess
from tests.support.seed import TOPIC, address, insert_immediate_subscribers, record_change
from tests.support.services import fresh_postgres_database
from tests.support.smtp import CountingMailbox
from tests.support.varsel_process import free_port

PEOPLE = 20_000
POOL = 8  # SMTP connections per mailer process
KILL_AFTER = PEOPLE // 2
# About a minute on an idle two-core machine; the limit only catches a hang on a busy one.
DEADLINE = 900.0


async def seed(url: str) -> None:
    """Insert confirmed immediate subscribers in bulk and record one change in the outbox."""
    engine = create_async_engine(url)
    try:
        sessions = session_factory(engine)
        await insert_immediate_subscribers(sessions, PEOPLE, TOPIC)
        async with sessions() as session:
            # They are real recipients: the subscriptions read interface hands them out.
            found = 0
            async for batch in read_api.stream_recipients(session, [TOPIC], batch_size=5000):
                found += len(batch)
            assert found == PEOPLE
        await record_change(sessions, TOPIC)
    finally:
        await engine.dispose()


async def ledger(url: str) -> dict[str, int]:
    """Count alert deliveries per status."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Delivery.status, func.count())
                .where(Delivery.kind == "alert")
                .group_by(Delivery.status)
            )
            return {status: count for status, count in rows.all()}
    finally:
        await engine.dispose()


def wait_until(condition: object, what: str, deadline: float) -> None:
    """Poll ``condition`` until it is true or the deadline passes."""
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_replica_killed_mid_send_loses_nothing_and_resends_only_unrecorded_mails(
    tmp_path: Path,
) -> None:
    mailbox = CountingMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with fresh_postgres_database() as url:
        upgrade(url)
        asyncio.run(seed(url))
        env = {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "VARSEL_CONFIG": str(write_catalogue(tmp_path)),
            "VARSEL_MAIL_FROM": "Folkehelseinstituttet <varsel@fhi.no>",
            "VARSEL_MAIL_POLL_SECONDS": "0.2",
            "VARSEL_MAIL_LEASE_SECONDS": "10",
            "VARSEL_MAIL_CONCURRENCY": str(POOL),
        }
        first = MailerProcess(tmp_path, "mailer-a", env)
        second = MailerProcess(tmp_path, "mailer-b", env)
        try:
            deadline = time.monotonic() + DEADLINE
            first.start()
            second.start()
            wait_until(lambda: mailbox.count() >= KILL_AFTER, "half the mails", deadline)
            first.kill()
            killed_at = mailbox.count()
            first.start()

            def all_sent() -> bool:
                return asyncio.run(ledger(url)) == {"sent": PEOPLE}

            wait_until(all_sent, f"{PEOPLE} sent deliveries", deadline)
            time.sleep(1.0)  # anything sent twice would arrive now
        finally:
            first.stop()
            second.stop()
            smtp.stop()

    received = mailbox.snapshot()
    assert KILL_AFTER <= killed_at < PEOPLE, "the kill did not land half-way"
    message_ids: dict[str, set[str]] = {}
    for recipient, message_id in received:
        message_ids.setdefault(recipient, set()).add(message_id)
    per_person = Counter(recipient for recipient, _ in received)
    twice = [r for r, count in per_person.items() if count > 1]
    # Nobody is missing; one mail each, apart from the killed process's unrecorded hand-overs.
    assert set(per_person) == {address(n) for n in range(PEOPLE)}
    assert len(twice) <= UNRECORDED_PER_CONNECTION * POOL, f"{len(twice)} people got it twice"
    assert all(per_person[r] == 2 for r in twice)
    assert len(received) == PEOPLE + len(twice)
    # A resend is the same message: one Message-ID per person, different for everyone.
    assert all(len(ids) == 1 for ids in message_ids.values())
    assert len(set().union(*message_ids.values())) == PEOPLE
