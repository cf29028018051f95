"""Bounces that come back after a mail was accepted, delivered to the bounce listener over SMTP.

The mailer sends real alerts to a loopback SMTP server with per-delivery envelope senders
(VERP); the test then plays the relay and sends a delivery status notification (RFC 3464) to
varsel's listener with aiosmtplib. Complaints are in test_mailer_complaints.py; what the
listener and the webhook refuse in test_mailer_report_intake.py.
"""

from __future__ import annotations

import logging
import re

import pytest

from tests.integration.mailer.harness import BOUNCE_LIMIT, Harness, on
from tests.integration.mailer.returned_mail_support import (
    ADDRESS,
    alert,
    bounce_of,
    harness_settings,
    ledger,
    listener,
    open_topics,
)
from tests.support.reports import send_report

__all__ = ["harness_settings", "listener"]  # the fixtures, used by name


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
