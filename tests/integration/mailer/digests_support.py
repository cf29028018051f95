"""Digests on the harness's frozen clock: changes released at a moment, the digest due run and
sent, and what each mail lists."""

from __future__ import annotations

import re

from services.mailer.digests import DigestRunner
from tests.integration.mailer.harness import Harness, at

ADDRESS = "kari@example.org"


def titles(harness: Harness, address: str = ADDRESS) -> list[list[str]]:
    """Return, per mail the address got, the change titles it lists."""
    found = []
    for mail in harness.received_by(address):
        plain = mail.message.get_body(preferencelist=("plain",))
        assert plain is not None
        found.append(sorted(set(re.findall(r"Endring [\w:-]+", plain.get_content()))))
    return found


async def digest_now(harness: Harness) -> None:
    """Run whatever digest is due at the clock's time and send what it queued."""
    await harness.mailer.digests.run_due()
    await harness.send_all()


async def change_at(
    harness: Harness, moment: str, title: str, topic: str = "norge-i-verden"
) -> None:
    """Report a change of the topic at this moment of the clock."""
    harness.clock.set(at(moment))
    await harness.change(title, topics=(topic,))


def runner(harness: Harness, kind: type[DigestRunner], page_size: int) -> DigestRunner:
    """Build a digest runner like the mailer's, with small pages."""
    settings = harness.runtime.settings
    return kind(
        harness.runtime.sessions,
        harness.clock,
        timezone=settings.timezone,
        hour=settings.digest_hour,
        weekday=settings.digest_weekday,
        page_size=page_size,
    )
