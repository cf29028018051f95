"""Abuse reports (ARF, RFC 5965) a mailbox provider sends when its user marks an alert as spam:
the person's alerts end once, and the consent ledger says why.

The reports go over SMTP to the bounce listener, as in test_mailer_returned_mail.py."""

from __future__ import annotations

from sqlalchemy import select

from services.subscriptions.adapters.tables import Subscription
from tests.integration.mailer.harness import Harness, on
from tests.integration.mailer.returned_mail_support import (
    ADDRESS,
    BOUNCES,
    alert,
    complaint_of,
    harness_settings,
    ledger,
    listener,
    open_topics,
)
from tests.support.reports import send_report

__all__ = ["harness_settings", "listener"]  # the fixtures, used by name


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
