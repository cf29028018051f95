"""Reports that come back after a mail was accepted, delivered to the bounce listener over SMTP.

The mailer sends real alerts to a loopback SMTP server with per-delivery envelope senders
(VERP); the test then plays the relay or the mailbox provider and sends a delivery status
notification (RFC 3464) or an abuse report (ARF, RFC 5965) to varsel's listener with aiosmtplib.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest
from sqlalchemy import func, select

from services.mailer.bootstrap import envelope_of, returned_mail
from services.mailer.entrypoints.bounce_listener import start_listener
from services.mailer.entrypoints.bounce_webhook import PATH
from services.mailer.returned_mail import ReturnedMail
from services.subscriptions.adapters.tables import ConsentRecord, Subscription
from shared.db import create_engine, session_factory
from shared.outbox import OutboxRow
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.mailer.harness import BOUNCE_LIMIT, Harness, on, write_catalogue
from tests.support.reports import arf, dsn, send_report
from tests.support.smtp import Received
from tests.support.varsel_process import free_port
from varsel.app import create_app

ADDRESS = "kari@example.org"
BOUNCES = "bounces@fhi.no"
WEBHOOK_SECRET = "w" * 40


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    return {"bounce_address": BOUNCES, "bounce_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
async def listener(harness: Harness) -> AsyncIterator[int]:
    """Serve the bounce listener on a loopback port of this test's event loop."""
    intake = returned_mail(harness.runtime)
    assert intake is not None
    port = free_port()
    server = await start_listener(intake, "127.0.0.1", port)
    yield port
    server.close()
    await server.wait_closed()


async def alert(harness: Harness, title: str) -> Received:
    """Send one alert to the subscriber and return it as the relay received it."""
    before = len(harness.received())
    await harness.change(title)
    await harness.send_all()
    mails = harness.received()
    assert len(mails) == before + 1
    return mails[-1]


def bounce_of(mail: Received, **fields: str) -> bytes:
    """Return the DSN a relay sends back for a mail it accepted and could not deliver."""
    return dsn(
        to=mail.mail_from,
        recipient=ADDRESS,
        message_id=str(mail.message["Message-ID"]),
        **fields,
    )


def complaint_of(mail: Received, **fields: str) -> bytes:
    """Return the abuse report a mailbox provider sends for a mail its user marked as spam."""
    return arf(
        to=BOUNCES,
        recipient=ADDRESS,
        message_id=str(mail.message["Message-ID"]),
        mail_from=mail.mail_from,
        **fields,
    )


async def open_topics(harness: Harness, subscriber_id: object) -> list[str]:
    async with harness.runtime.sessions() as session:
        rows = await session.scalars(
            select(Subscription.topic).where(
                Subscription.subscriber_id == subscriber_id, Subscription.ended_at.is_(None)
            )
        )
        return list(rows.all())


async def ledger(harness: Harness) -> list[tuple[str, str]]:
    async with harness.runtime.sessions() as session:
        rows = await session.execute(
            select(ConsentRecord.action, ConsentRecord.channel).order_by(ConsentRecord.id)
        )
        return [(r.action, r.channel) for r in rows]


async def outbox_size(harness: Harness) -> int:
    async with harness.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_each_mail_leaves_with_its_own_signed_sender_and_no_address(
    harness: Harness,
) -> None:
    await harness.subscribe(ADDRESS)
    await harness.seeded()
    first = await alert(harness, "Norge i verden: ny rapport")
    second = await alert(harness, "Norge i verden: ny rapport 2")

    pattern = re.compile(r"^bounces\+\d+-[a-z2-7]{16}@fhi\.no$")
    assert pattern.match(first.mail_from) and pattern.match(second.mail_from)
    assert first.mail_from != second.mail_from
    assert "kari" not in first.mail_from
    # The header From is unchanged: only the envelope carries the token.
    assert "varsel@fhi.no" in str(first.message["From"])


async def test_a_late_hard_bounce_counts_like_a_refusal_until_the_address_is_disabled(
    harness: Harness, listener: int
) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()

    for count in range(1, BOUNCE_LIMIT + 1):
        mail = await alert(harness, f"Norge i verden: rapport {count}")
        await send_report(listener, mail.mail_from, bounce_of(mail))
        await harness.relay()
        subscriber = await harness.subscriber(subscriber_id)
        assert subscriber is not None
        assert subscriber.hard_bounces == count
        assert subscriber.status == ("disabled" if count == BOUNCE_LIMIT else "active")

    assert await open_topics(harness, subscriber_id) == []
    assert (await ledger(harness))[-1] == ("unsubscribed", "bounce")
    bounced = await harness.deliveries("alert")
    assert [d.status for d in bounced] == ["failed"] * BOUNCE_LIMIT
    assert all(d.last_error and "5.1.1" in d.last_error for d in bounced)
    assert not any(d.last_error and ADDRESS in d.last_error for d in bounced)
    # Nothing more goes to a disabled address.
    await harness.change("Norge i verden: enda en rapport")
    await harness.send_all()
    assert len(harness.received()) == BOUNCE_LIMIT


@on("sqlite")
async def test_the_same_bounce_reported_twice_counts_once(harness: Harness, listener: int) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")

    await send_report(listener, mail.mail_from, bounce_of(mail))
    await send_report(listener, mail.mail_from, bounce_of(mail))
    await harness.relay()

    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None and subscriber.hard_bounces == 1


@on("sqlite")
async def test_a_soft_bounce_does_not_count(harness: Harness, listener: int) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")

    await send_report(listener, mail.mail_from, bounce_of(mail, status="4.2.2", action="delayed"))
    await harness.relay()

    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None and subscriber.hard_bounces == 0
    assert [d.status for d in await harness.deliveries("alert")] == ["sent"]


@on("sqlite")
async def test_a_late_block_fails_the_mail_but_counts_nothing_against_the_address(
    harness: Harness, listener: int, caplog: pytest.LogCaptureFixture
) -> None:
    # A provider that blocks varsel's server («5.7.1 ... on our block list») refuses every
    # follower it hosts. Before, that counted as each one's bounce: three mails ended them all.
    caplog.set_level(logging.INFO)
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    for count in range(BOUNCE_LIMIT):
        mail = await alert(harness, f"Norge i verden: rapport {count}")
        await send_report(listener, mail.mail_from, bounce_of(mail, status="5.7.1"))
        await harness.relay()

    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None
    assert (subscriber.status, subscriber.hard_bounces) == ("active", 0)
    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == ["failed"] * BOUNCE_LIMIT
    assert all(
        d.last_error and "refused" in d.last_error and "5.7.1" in d.last_error for d in alerts
    )
    assert "refused 5.7.1, not for the address: not counted" in caplog.text


@on("sqlite")
async def test_a_report_nested_too_deeply_is_taken_and_ignored_not_deferred(
    harness: Harness, listener: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Before, the parser's RecursionError made the listener answer 451, as if the database were
    # away: the sender offered the same mail again for days.
    await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")
    nested = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(3000)
    )
    report = (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b0\r\n\r\n" + nested
    )
    await send_report(listener, mail.mail_from, report)  # answered 250: nothing to retry
    assert "unreadable: parts nested too deeply" in caplog.text
    assert "cannot record" not in caplog.text


async def test_a_complaint_unsubscribes_from_everything_and_the_ledger_says_so(
    harness: Harness, listener: int
) -> None:
    subscriber_id = await harness.subscribe(ADDRESS, topics=("norge-i-verden", "vaksiner"))
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")

    # Feedback loops report to the mailbox registered with them: the plain bounce address.
    await send_report(listener, BOUNCES, complaint_of(mail))
    await harness.relay()

    assert await open_topics(harness, subscriber_id) == []
    assert (await ledger(harness))[-1] == ("unsubscribed", "complaint")
    async with harness.runtime.sessions() as session:
        reasons = await session.scalars(
            select(Subscription.ended_reason).where(Subscription.subscriber_id == subscriber_id)
        )
        assert set(reasons.all()) == {"complaint"}
    await harness.change("Norge i verden: enda en rapport")
    await harness.send_all()
    assert len(harness.received()) == 1, "nothing more after the complaint"


@on("sqlite", "postgresql")
async def test_forged_reports_change_nothing(
    harness: Harness, listener: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    kari = await harness.subscribe(ADDRESS)
    ola = await harness.subscribe("ola@example.org")
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()
    karis, olas = harness.received_by(ADDRESS)[0], harness.received_by("ola@example.org")[0]
    before = (await ledger(harness), await outbox_size(harness))

    # A token varsel never signed: the delivery id is real, the signature is not.
    forged_sender = re.sub(r"-[a-z2-7]{16}@", "-aaaaaaaaaaaaaaaa@", karis.mail_from)
    await send_report(listener, forged_sender, bounce_of(karis))
    # Kari's own (genuine) token on a complaint that returns Ola's mail.
    about_ola = arf(
        to=BOUNCES,
        recipient=ADDRESS,
        message_id=str(olas.message["Message-ID"]),
        mail_from=karis.mail_from,
    )
    await send_report(listener, karis.mail_from, about_ola)
    # Ola's complaint, sent to Kari's token address: the report names two deliveries.
    await send_report(listener, karis.mail_from, complaint_of(olas))
    # A report that names no token at all, sent to the plain mailbox.
    no_token = dsn(to=BOUNCES, recipient=ADDRESS, message_id=str(karis.message["Message-ID"]))
    await send_report(listener, BOUNCES, no_token)
    await harness.relay()

    assert (await ledger(harness), await outbox_size(harness)) == before
    for person in (kari, ola):
        subscriber = await harness.subscriber(person)
        assert subscriber is not None and subscriber.hard_bounces == 0
        assert await open_topics(harness, person) == ["norge-i-verden"]
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 4, ignored
    assert any("did not sign" in line for line in ignored)
    assert any("not this delivery's" in line for line in ignored)
    assert any("different deliveries" in line for line in ignored)
    assert not any("@" in line for line in ignored)


@on("sqlite")
async def test_unreadable_mail_is_logged_and_ignored_and_strangers_are_refused(
    harness: Harness, listener: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")
    before = await outbox_size(harness)

    plain = (
        f"From: {ADDRESS}\r\nTo: {mail.mail_from}\r\nSubject: stop\r\n\r\nunsubscribe me\r\n"
    ).encode()
    await send_report(listener, mail.mail_from, plain)
    report_without_status = bounce_of(mail).replace(b"message/delivery-status", b"text/plain")
    await send_report(listener, mail.mail_from, report_without_status)
    with pytest.raises(aiosmtplib.SMTPRecipientRefused):
        await send_report(listener, "postmaster@fhi.no", bounce_of(mail))
    await harness.relay()

    assert await outbox_size(harness) == before
    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None and subscriber.hard_bounces == 0
    unreadable = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(unreadable) == 2, unreadable
    assert not any("@" in line or "kari" in line for line in unreadable)


@on("sqlite")
async def test_a_report_the_database_cannot_take_is_deferred_not_lost(
    harness: Harness, tmp_path: Path
) -> None:
    await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")
    # The same listener on a database that cannot be reached.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/varsel.db")
    intake = ReturnedMail(session_factory(engine), envelope_of(harness.runtime.settings))
    port = free_port()
    server = await start_listener(intake, "127.0.0.1", port)
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await send_report(port, mail.mail_from, bounce_of(mail))
        assert refused.value.code == 451, "the relay keeps the report and tries again"
    finally:
        server.close()
        await engine.dispose()


@on("sqlite")
async def test_the_webhook_takes_the_same_reports_with_the_shared_secret(
    harness: Harness,
) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")
    app = create_app(harness.runtime, ("bounces",))
    auth = {"Authorization": f"Bearer {WEBHOOK_SECRET}", "Content-Type": "message/rfc822"}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bounces.internal"
    ) as client:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 40}):
            refused = await client.post(PATH, content=bounce_of(mail), headers=headers)
            assert refused.status_code == 401
        garbage = await client.post(PATH, content=b"hello", headers=auth)
        counted = await client.post(PATH, content=bounce_of(mail), headers=auth)
        again = await client.post(PATH, content=bounce_of(mail), headers=auth)
    await harness.relay()

    assert garbage.status_code == 422
    assert garbage.json()["verdict"] == "ignored" and "unreadable" in garbage.json()["reason"]
    assert (counted.status_code, counted.json()["verdict"]) == (200, "bounce_counted")
    assert (again.status_code, again.json()["verdict"]) == (200, "nothing_to_do")
    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None and subscriber.hard_bounces == 1


async def test_the_bounces_service_refuses_to_start_with_nothing_to_listen_on(
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/varsel.db", config=write_catalogue(tmp_path)
    )
    runtime = build_runtime(settings)
    try:
        with pytest.raises(ValueError, match="VARSEL_BOUNCE_ADDRESS"):
            create_app(runtime, ("bounces",))
    finally:
        await runtime.close()


@on("sqlite")
async def test_the_same_complaint_reported_again_does_not_end_a_new_sign_up(
    harness: Harness, listener: int
) -> None:
    # Feedback loops send a report twice at times, and a relay offers one again after a 451.
    # Before, each copy ended every alert again: a person who had signed up again since, and
    # confirmed from their mailbox, lost the alerts they had just asked for, and the consent
    # ledger said they complained a second time.
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    mail = await alert(harness, "Norge i verden: ny rapport")
    await send_report(listener, BOUNCES, complaint_of(mail))
    await harness.relay()
    assert await open_topics(harness, subscriber_id) == []

    assert await harness.subscribe(ADDRESS) == subscriber_id  # signed up and confirmed again
    await send_report(listener, BOUNCES, complaint_of(mail))
    await harness.relay()

    assert await open_topics(harness, subscriber_id) == ["norge-i-verden"]
    assert [step for step in await ledger(harness) if step[1] == "complaint"] == [
        ("unsubscribed", "complaint")
    ]
    (complained,) = await harness.deliveries("alert")
    assert (complained.status, complained.last_error) == ("sent", "complaint reported: abuse")
