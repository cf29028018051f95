"""Which lasting refusals are about the person's address, and so count toward ending alerts."""

from __future__ import annotations

import pytest

from services.mailer.domain.refusals import (
    reply_refuses_the_address,
    status_refuses_the_address,
)


@pytest.mark.parametrize(
    ("code", "text", "refuses"),
    [
        (550, "5.1.1 <kari@example.org>: Recipient address rejected: User unknown", True),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; not found", True),
        (552, "5.2.2 Mailbox full", True),
        (550, "No such user here", True),  # no status: counted, as before
        (554, "5.7.1 <kari@example.org>: Relay access denied", False),
        (550, "5.7.1 Message rejected as spam", False),
        (554, "5.6.0 Content rejected", False),
        (552, "5.3.4 Message too big for system", False),
        (552, "5.2.3 Message length exceeds administrative limit", False),
        (552, "Message size exceeds fixed maximum message size", False),
        (451, "4.3.0 try later", False),
        (250, "5.1.1 out of turn", False),
        # A multi-line reply's status is its last line's, as its code is (Postfix's reading).
        (550, "Mail from your network is refused by policy\n5.7.1 see the policy page", False),
        (550, "5.7.1 Refused by policy\n5.1.1 No such user", True),
        (550, "5.1.1 No such user\n5.7.1 Refused by policy", False),
        (550, "2.1.5 a status of another class than the code's counts as none", True),
    ],
)
def test_a_reply_refuses_the_address_only_when_it_says_so(
    code: int, text: str, refuses: bool
) -> None:
    assert reply_refuses_the_address(code, text) is refuses


@pytest.mark.parametrize(
    ("status", "refuses"),
    [("5.1.1", True), ("5.4.4", True), ("5.7.1", False), ("5.5.0", False), ("4.2.2", False)],
)
def test_a_dsn_status_refuses_the_address_only_when_it_says_so(status: str, refuses: bool) -> None:
    assert status_refuses_the_address(status) is refuses
