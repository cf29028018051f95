"""Received mail read and set against the plan of the distributed tier: what each message is
about, and what is missing, unexpected or repeated."""

from __future__ import annotations

import email
import email.header
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.smtp import Received

if TYPE_CHECKING:
    from tests.distributed.topology import Plan


@dataclass(frozen=True)
class Mail:
    """What a received message was about."""

    recipient: str
    kind: str  # alert | daily | weekly | other
    sources: frozenset[int]
    message_id: str


def classify(received: Received, site_url: str) -> Mail:
    """Read a message's recipient, kind and the watched pages it links to."""
    # The compat32 parser is several times faster than the default policy on thousands of mails.
    message = email.message_from_bytes(received.data)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"] or "")))
    kind = "other"
    for prefix, name in _KINDS:
        if subject.startswith(prefix):
            kind = name
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            text = payload.decode(part.get_content_charset() or "utf-8")
            break
    pattern = re.escape(site_url) + r"/kilde/(\d{3})\b"
    sources = frozenset(int(n) for n in re.findall(pattern, text))
    return Mail(received.recipients[0], kind, sources, str(message["Message-ID"] or ""))


_KINDS = (
    ("Oppdatering i", "alert"),
    ("Daglig oppsummering", "daily"),
    ("Ukentlig oppsummering", "weekly"),
)


@dataclass
class Tally:
    """Received mail set against the plan: what is missing, unexpected or repeated.

    A repeat is the same message (same Message-ID) handed to the SMTP server again; a duplicate
    is the same alert or digest arriving as two different messages. Neither is allowed; they
    are counted apart so a failure says which guarantee broke.
    """

    alerts: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    digests: dict[str, list[tuple[str, frozenset[int], str]]] = field(default_factory=dict)
    other: int = 0

    @classmethod
    def of(cls, mails: list[Mail]) -> Tally:
        """Group the mails by what they are about."""
        tally = cls()
        for mail in mails:
            if mail.kind == "alert":
                assert len(mail.sources) == 1, f"an alert about {sorted(mail.sources)}"
                key = (mail.recipient, next(iter(mail.sources)))
                tally.alerts.setdefault(key, []).append(mail.message_id)
            elif mail.kind in ("daily", "weekly"):
                entry = (mail.kind, mail.sources, mail.message_id)
                tally.digests.setdefault(mail.recipient, []).append(entry)
            else:
                tally.other += 1
        return tally

    def repeats(self) -> int:
        """Return the SMTP hand-overs beyond the first of each owed mail."""
        return sum(len(ids) - 1 for ids in self.alerts.values()) + sum(
            len(entries) - 1 for entries in self.digests.values()
        )

    def duplicates(self) -> int:
        """Return the owed mails that arrived as more than one distinct message."""
        alerts = sum(1 for ids in self.alerts.values() if len(set(ids)) > 1)
        digests = sum(1 for e in self.digests.values() if len({m for _, _, m in e}) > 1)
        return alerts + digests

    def assert_alerts(self, plan: Plan) -> None:
        """Every owed alert arrived as one message, and nothing else did."""
        expected = plan.expected_alerts()
        got = set(self.alerts)
        assert not expected - got, f"{len(expected - got)} alerts missing"
        assert not got - expected, f"{len(got - expected)} alerts nobody was owed"
        twice = [k for k, ids in self.alerts.items() if len(set(ids)) > 1]
        assert twice == [], f"{len(twice)} alerts arrived as two different messages"

    def assert_digests(self, plan: Plan) -> None:
        """Every owed digest arrived as one message listing exactly the person's changes."""
        expected = plan.expected_digests()
        assert not set(expected) - set(self.digests), "digests missing"
        assert not set(self.digests) - set(expected), "digests went to people owed none"
        for recipient, entries in self.digests.items():
            assert len({m for _, _, m in entries}) == 1, "a digest arrived as two messages"
            assert {(k, s) for k, s, _ in entries} == {expected[recipient]}, (
                "a digest lists the wrong changes or has the wrong rhythm"
            )
