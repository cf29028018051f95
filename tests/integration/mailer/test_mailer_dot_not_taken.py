"""A final dot the kernel could not take: that mail is tried again, once, and the rest of the
batch goes on (ADR 0008, «Bytes the process still holds»).

The kernel's buffer cannot be filled at a chosen byte on loopback, so the connection here is
told, once, that the dot stayed in the process, and holds it there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.mailer.adapters.smtp_connection import SmtpConnection
from tests.integration.mailer.harness import Harness

PEOPLE = ["kari@example.org", "ola@example.org", "per@example.org"]


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    return {"mail_concurrency": 1}


async def test_a_dot_the_kernel_did_not_take_is_sent_again_once_and_holds_up_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    held: list[SmtpConnection] = []  # the connection whose dot stayed in the process
    buffered, final_dot = SmtpConnection._buffered, SmtpConnection._final_dot

    def dot_held_once(self: SmtpConnection) -> None:
        if held or self._dot_written:
            final_dot(self)
            return
        held.append(self)
        self._dot_written = True  # written, but still in the process: the kernel was full

    def counting_the_held_dot(self: SmtpConnection) -> int:
        return buffered(self) + (3 if held and self is held[0] else 0)

    monkeypatch.setattr(SmtpConnection, "_final_dot", dot_held_once)
    monkeypatch.setattr(SmtpConnection, "_buffered", counting_the_held_dot)
    await harness.send_all()
    assert len(held) == 1

    alerts = await harness.deliveries("alert")
    assert sorted(d.status for d in alerts) == ["queued", "sent", "sent"], "the batch went on"
    (again,) = [d for d in alerts if d.status == "queued"]
    assert (again.attempts, again.sent_at) == (1, None)
    assert again.last_error is not None and "DotNotTaken" in again.last_error
    got = [r for m in harness.received() for r in m.recipients]
    assert len(got) == len(set(got)) == 2, "the held mail did not reach the server"

    harness.clock.advance(timedelta(hours=1))
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(PEOPLE)
    assert {d.status for d in await harness.deliveries("alert")} == {"sent"}
