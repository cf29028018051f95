"""Two mailer processes send one change to 20,000 people; one is killed with SIGKILL half-way.

PostgreSQL only (SKIP LOCKED claims between real processes). The SMTP server must receive
exactly one mail per person: each mail is recorded as sent between its content and the final
"." of DATA, so the killed process's mails were either taken by the server and recorded, or
discarded by the server and sent again by a replica
(docs/decisions/0008-record-before-the-final-dot.md).
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
from services.subscriptions import read_api
from shared.db import session_factory
from shared.schema import upgrade
from tests.integration.mailer.harness import write_catalogue
from tests.support.seed import TOPIC, address, insert_immediate_subscribers, record_change
from tests.support.services import fresh_postgres_database
from tests.support.smtp import CountingMailbox
from tests.support.varsel_process import VarselProcess, free_port, wait_until

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


def test_a_replica_killed_mid_send_leaves_exactly_one_mail_per_person(
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
        first = VarselProcess(tmp_path, env, "mailer", name="mailer-a", migrate=False)
        second = VarselProcess(tmp_path, env, "mailer", name="mailer-b", migrate=False)
        try:
            deadline = time.monotonic() + DEADLINE
            first.start()
            second.start()
            wait_until(
                lambda: mailbox.count() >= KILL_AFTER, "half the mails", deadline - time.monotonic()
            )
            first.kill()
            killed_at = mailbox.count()
            first.start()

            def all_sent() -> bool:
                return asyncio.run(ledger(url)) == {"sent": PEOPLE}

            wait_until(all_sent, f"{PEOPLE} sent deliveries", deadline - time.monotonic())
            time.sleep(1.0)  # anything sent twice would arrive now
        finally:
            first.stop()
            second.stop()
            smtp.stop()

    received = mailbox.snapshot()
    assert KILL_AFTER <= killed_at < PEOPLE, "the kill did not land half-way"
    per_person = Counter(recipient for recipient, _ in received)
    twice = sorted(r for r, count in per_person.items() if count > 1)
    missing = {address(n) for n in range(PEOPLE)} - set(per_person)
    assert not missing, f"{len(missing)} people got no mail"
    assert not twice, f"{len(twice)} people got the alert more than once"
    assert len(received) == PEOPLE
    assert len({message_id for _, message_id in received}) == PEOPLE
