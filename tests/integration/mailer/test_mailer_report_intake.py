"""What the bounce listener and webhook take, and what they refuse: forged, unreadable and too
deeply nested reports change nothing; one the database cannot take is deferred, not lost; the
webhook wants the shared secret; the service does not start with nothing to listen on."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from services.mailer.bootstrap import envelope_of
from services.mailer.entrypoints.bounce_listener import start_listener
from services.mailer.entrypoints.bounce_webhook import PATH
from services.mailer.returned_mail import ReturnedMail
from shared.db import create_engine, session_factory
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.mailer.harness import Harness, on, write_catalogue
from tests.integration.mailer.returned_mail_support import (
    ADDRESS,
    BOUNCES,
    WEBHOOK_SECRET,
    alert,
    bounce_of,
    complaint_of,
    harness_settings,
    ledger,
    listener,
    open_topics,
    outbox_size,
)
from tests.support.reports import arf, dsn, send_report
from tests.support.varsel_process import free_port
from varsel.app import create_app

__all__ = ["harness_settings", "listener"]  # the fixtures, used by name


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
