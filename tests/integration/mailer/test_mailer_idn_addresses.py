"""Addresses at internationalised domains reach a relay without SMTPUTF8, in their IDNA form.

The address is stored as it was normalised at sign-up (a Unicode domain, which the consent
ledger hashes); only the mail on the wire, its To header and its envelope, carries punycode.
"""

from __future__ import annotations

from sqlalchemy import update

from services.subscriptions import handlers
from services.subscriptions.adapters.tables import Subscriber
from services.subscriptions.domain.model import SignupForm
from shared.addresses import normalise_address
from tests.integration.mailer.harness import Harness

# The loopback relay (aiosmtpd's default) does not announce SMTPUTF8.
PEOPLE = {
    "test@bücher.example": "test@xn--bcher-kva.example",
    # Typed as punycode, stored by the address check in Unicode ("a@аррӏе.com").
    "a@xn--80ak6aa92e.com": "a@xn--80ak6aa92e.com",
    "x@faß.de": "x@xn--fa-hia.de",  # IDNA 2008: not "fass.de", another domain
}


async def test_a_confirmation_to_a_unicode_domain_is_mailed_as_punycode(
    harness: Harness,
) -> None:
    address = normalise_address("test@Bücher.example")  # as the sign-up page stores it
    assert address == "test@bücher.example"
    form = SignupForm(address, ("vaksiner",), "immediate", "nb", None)
    assert await handlers.sign_up(harness.uow(), harness.deps, form, client="192.0.2.1")
    await harness.relay()
    await harness.send_all()

    (confirmation,) = harness.received_by("test@xn--bcher-kva.example")
    assert confirmation.message["To"] == "test@xn--bcher-kva.example"
    (delivery,) = await harness.deliveries("confirm")
    assert delivery.status == "sent"


async def test_alerts_to_unicode_domains_are_mailed_as_punycode(harness: Harness) -> None:
    stored = [normalise_address(typed) for typed in PEOPLE]
    assert stored[1] == "a@аррӏе.com"
    for address in stored:
        person = await harness.subscriber(await harness.subscribe(address))
        assert person is not None and person.email == address, "storage is unchanged"
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    for wire in PEOPLE.values():
        (alert,) = harness.received_by(wire)
        assert alert.message["To"] == wire
    assert {d.status for d in await harness.deliveries("alert")} == {"sent"}


async def test_a_stored_domain_with_no_idna_form_fails_that_mail_alone(harness: Harness) -> None:
    kari = await harness.subscribe("kari@example.org")
    ola = await harness.subscribe("ola@example.org")
    await harness.seeded()
    async with harness.runtime.sessions() as session, session.begin():
        # An address kept from before today's check: no DNS name can be made of a snowman.
        await session.execute(
            update(Subscriber).where(Subscriber.id == ola).values(email="ola@☃.example")
        )
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    assert len(harness.received_by("kari@example.org")) == 1
    failed = {d.subscriber_id: d for d in await harness.deliveries("alert")}
    assert failed[kari].status == "sent"
    assert (failed[ola].status, failed[ola].attempts) == ("failed", 1)
    assert failed[ola].last_error is not None
    assert "no IDNA (punycode) form" in failed[ola].last_error
    assert "☃" not in failed[ola].last_error, "the ledger keeps no address"
