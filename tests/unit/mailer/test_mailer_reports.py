"""Reading DSNs and ARF reports, and the signed envelope senders they are matched by."""

from __future__ import annotations

import pytest

from services.mailer.domain.bounce_address import BounceAddress
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.reports import ReportKind, Unreadable, read_report
from tests.support.reports import arf, dsn

SECRET = "k" * 40
BOUNCES = BounceAddress.of("bounces@fhi.no", SECRET)
PERSON = "kari@example.org"
MESSAGE_ID = "<42.0123456789abcdef@fhi.no>"


def test_a_delivery_s_sender_names_it_and_only_varsel_can_make_one() -> None:
    sender = BOUNCES.for_delivery(42)
    assert sender.startswith("bounces+42-") and sender.endswith("@fhi.no")
    assert BOUNCES.delivery_of(sender) == 42
    assert BOUNCES.delivery_of(f"<{sender.upper()}>") == 42, "relays may fold the case"
    assert BOUNCES.delivery_of(sender.replace("+42-", "+43-")) is None
    other_key = BounceAddress.of("bounces@fhi.no", "o" * 40)
    assert other_key.delivery_of(sender) is None
    assert BOUNCES.delivery_of("bounces@fhi.no") is None
    assert BOUNCES.delivery_of(sender.replace("@fhi.no", "@example.org")) is None
    assert BOUNCES.is_ours("bounces@fhi.no") and not BOUNCES.carries_token("bounces@fhi.no")
    assert not BOUNCES.is_ours("postmaster@fhi.no")


def test_without_a_bounce_mailbox_every_mail_leaves_with_the_from_address() -> None:
    assert Envelope.of("FHI <varsel@fhi.no>").sender_of(42) == "varsel@fhi.no"
    assert Envelope.of("FHI <varsel@fhi.no>", BOUNCES).sender_of(42) == BOUNCES.for_delivery(42)


@pytest.mark.parametrize("address", ["bounces+x@fhi.no", "fhi.no", "@fhi.no"])
def test_a_bounce_mailbox_must_be_plain(address: str) -> None:
    with pytest.raises(ValueError, match="plain mailbox"):
        BounceAddress.of(address, SECRET)


@pytest.mark.parametrize(
    ("status", "action", "kind"),
    [
        ("5.1.1", "failed", ReportKind.HARD_BOUNCE),
        ("5.2.2", "failed", ReportKind.HARD_BOUNCE),
        # A block (a provider refusing varsel's server or its content) or a mail too large is
        # no sign the address is bad: counted, it ended every follower at that provider.
        ("5.7.1 (blocked)", "failed", ReportKind.REFUSED),
        ("5.3.4", "failed", ReportKind.REFUSED),
        ("4.2.2", "delayed", ReportKind.SOFT_BOUNCE),
        ("4.4.7", "failed", ReportKind.SOFT_BOUNCE),
        ("2.0.0", "delivered", ReportKind.SOFT_BOUNCE),
    ],
)
def test_a_dsn_is_hard_only_when_it_failed_for_good(
    status: str, action: str, kind: ReportKind
) -> None:
    sender = BOUNCES.for_delivery(42)
    report = read_report(
        dsn(to=sender, recipient=PERSON, message_id=MESSAGE_ID, status=status, action=action)
    )
    assert report.kind is kind
    assert report.detail == status.split()[0]
    assert report.original_message_id == MESSAGE_ID
    assert sender in report.senders


@pytest.mark.parametrize(
    ("feedback_type", "kind"),
    [
        ("abuse", ReportKind.COMPLAINT),
        ("fraud", ReportKind.COMPLAINT),
        ("not-spam", ReportKind.NOT_SPAM),
    ],
)
def test_an_arf_report_is_a_complaint_unless_it_says_not_spam(
    feedback_type: str, kind: ReportKind
) -> None:
    sender = BOUNCES.for_delivery(42)
    report = read_report(
        arf(
            to="bounces@fhi.no",
            recipient=PERSON,
            message_id=MESSAGE_ID,
            mail_from=sender,
            feedback_type=feedback_type,
        )
    )
    assert (report.kind, report.detail) == (kind, feedback_type)
    assert report.original_message_id == MESSAGE_ID
    assert report.senders[0] == sender, "Original-Mail-From comes first"


def test_a_report_keeps_no_trace_of_the_person_s_address() -> None:
    sender = BOUNCES.for_delivery(42)
    for raw in (
        dsn(to=sender, recipient=PERSON, message_id=MESSAGE_ID),
        arf(to="bounces@fhi.no", recipient=PERSON, message_id=MESSAGE_ID, mail_from=sender),
    ):
        assert PERSON not in repr(read_report(raw))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"From: a@b\r\nSubject: hi\r\n\r\nunsubscribe me\r\n", "not a report but text/plain"),
        (
            dsn(to="x@fhi.no", recipient=PERSON, message_id=MESSAGE_ID).replace(
                b"message/delivery-status", b"text/plain"
            ),
            "no message/delivery-status part",
        ),
        (
            dsn(to="x@fhi.no", recipient=PERSON, message_id=MESSAGE_ID, status="failed"),
            "not an RFC 3463 code",
        ),
        (
            dsn(to="x@fhi.no", recipient=PERSON, message_id=MESSAGE_ID).replace(
                b"delivery-status; boundary", b"disposition-notification; boundary"
            ),
            "unknown report type",
        ),
        (
            arf(
                to="x@fhi.no", recipient=PERSON, message_id=MESSAGE_ID, mail_from="x@fhi.no"
            ).replace(b"Feedback-Type: abuse", b"Feedback-Type: opt-out"),
            "unknown Feedback-Type",
        ),
    ],
)
def test_anything_but_a_dsn_or_arf_report_is_unreadable(raw: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        read_report(raw)


def test_a_report_nested_past_what_the_parser_follows_is_unreadable() -> None:
    # Before, the parser's RecursionError went up to the listener, which answered 451: the
    # sender kept offering the same mail for days, and the log blamed the database.
    head = b"Content-Type: multipart/report; report-type=delivery-status; boundary=b0\r\n\r\n"
    nested = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(3000)
    )
    assert len(head + nested) < 1024 * 1024, "within what the listener takes"
    with pytest.raises(Unreadable, match="nested too deeply"):
        read_report(head + nested)


def test_a_report_whose_to_header_is_not_ascii_is_read() -> None:
    # Before, the 8-bit header came back as a Header object, and reading it raised TypeError.
    sender = BOUNCES.for_delivery(42)
    raw = dsn(to=sender, recipient=PERSON, message_id=MESSAGE_ID).replace(
        f"To: {sender}".encode(), f"To: Varsel p\u00e5 FHI <{sender}>".encode("latin-1"), 1
    )
    report = read_report(raw)
    assert report.kind is ReportKind.HARD_BOUNCE
    assert sender in report.senders
