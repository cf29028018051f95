"""Reading what comes back after a mail was accepted: delivery status notifications and complaints.

A relay that accepted a mail and could not deliver it later sends a delivery status notification
(RFC 3464: ``multipart/report; report-type=delivery-status``); a mailbox provider whose user
pressed "this is spam" sends an abuse report (ARF, RFC 5965: ``report-type=feedback-report``).
Both are read with the standard library's email package, which parses ``message/delivery-status``
into its field blocks and ``message/*`` parts into messages; nothing more is needed. What this
module keeps is only what decides the outcome and where the report points: the status code or
feedback type, the returned mail's Message-ID and the envelope senders it names. The person's
address, which both kinds of report carry, is never kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser
from enum import StrEnum
from typing import Final

from services.mailer.domain.refusals import status_refuses_the_address

# RFC 3463 status codes: class.subject.detail; a comment may follow.
_STATUS: Final = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
# RFC 5965 section 7.3 and RFC 6650: "not-spam" says the opposite of a complaint.
_COMPLAINTS: Final = frozenset({"abuse", "fraud", "virus", "other"})
_NOT_SPAM: Final = "not-spam"


class Unreadable(ValueError):
    """The input is not a report varsel can act on; the message says why, without any address."""


class ReportKind(StrEnum):
    """What a report says about the mail it returns."""

    HARD_BOUNCE = "hard_bounce"  # failed for good (5.x.x): counts toward disabling the address
    REFUSED = "refused"  # failed for good, not for the address (5.7.x policy, size): not counted
    SOFT_BOUNCE = "soft_bounce"  # delayed or failed for now (4.x.x), or delivered after all
    COMPLAINT = "complaint"  # the person marked it as spam: a withdrawal
    NOT_SPAM = "not_spam"  # the person marked it as wanted: nothing to do


@dataclass(frozen=True, slots=True)
class Report:
    """A report reduced to what varsel acts on."""

    kind: ReportKind
    # The RFC 3463 status ("5.1.1") of a bounce, or the feedback type ("abuse") of a complaint.
    detail: str
    # The Message-ID of the returned mail, when the report returns it (or its headers).
    original_message_id: str | None
    # Envelope senders the report names (returned Return-Path, ARF Original-Mail-From, its To):
    # where a report that did not come in by SMTP is looked up.
    senders: tuple[str, ...]


def read_report(raw: bytes) -> Report:
    """Return what a DSN or ARF report says; raise ``Unreadable`` for anything else."""
    if not raw.strip():
        raise Unreadable("empty message")
    try:
        return _read(raw)
    except RecursionError:
        # Parts nested a thousand deep fit in the listener's megabyte. Raised, the listener
        # answered 451 and the sender offered the same mail again for days.
        raise Unreadable("parts nested too deeply") from None


def _read(raw: bytes) -> Report:
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() != "multipart/report" or not message.is_multipart():
        raise Unreadable(f"not a report but {message.get_content_type()}")
    report_type = str(message.get_param("report-type") or "").lower()
    # The report's own parts only: the returned mail may hold anything, even a report.
    parts = [part for part in message.get_payload() if isinstance(part, Message)]
    original = _original(parts)
    senders = [
        *_addresses(message.get_all("To", [])),
        *_addresses(_header(original, "Return-Path")),
    ]
    if report_type == "delivery-status":
        kind, detail = _delivery_status(parts)
    elif report_type == "feedback-report":
        kind, detail, mail_from = _feedback(parts)
        senders[:0] = _addresses(mail_from)
    else:
        raise Unreadable(f"unknown report type {report_type[:40]!r}")
    message_id = _header(original, "Message-ID")
    return Report(kind, detail, message_id[0].strip() if message_id else None, tuple(senders))


def _part(parts: list[Message], content_type: str) -> Message:
    for part in parts:
        if part.get_content_type() == content_type:
            return part
    raise Unreadable(f"no {content_type} part")


def _fields(part: Message) -> list[Message]:
    """Return the field blocks of a machine-readable part, however the parser left them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str) and payload.strip():
        return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n\r?\n", payload)]
    return []


def _delivery_status(parts: list[Message]) -> tuple[ReportKind, str]:
    blocks = _fields(_part(parts, "message/delivery-status"))
    recipients = [block for block in blocks[1:] if block.get("Action")]
    if not recipients:
        raise Unreadable("the delivery-status part names no recipient's action")
    # varsel sends one recipient per mail, so one block decides; a report about several
    # recipients counts as a hard bounce only if one of them failed for good.
    soft = refused = None
    for block in recipients:
        action = str(block.get("Action", "")).strip().lower()
        found = _STATUS.match(str(block.get("Status", "")).strip())
        if found is None:
            raise Unreadable("a recipient's Status is not an RFC 3463 code")
        status = found.group(0)
        if action == "failed" and found.group(1) == "5":
            if status_refuses_the_address(status):
                return ReportKind.HARD_BOUNCE, status
            refused = refused or status
            continue
        soft = soft or status
    if refused is not None:
        return ReportKind.REFUSED, refused
    assert soft is not None
    return ReportKind.SOFT_BOUNCE, soft


def _feedback(parts: list[Message]) -> tuple[ReportKind, str, list[str]]:
    blocks = _fields(_part(parts, "message/feedback-report"))
    fields = blocks[0] if blocks else None
    feedback_type = str(fields.get("Feedback-Type", "") if fields else "").strip().lower()
    if feedback_type == _NOT_SPAM:
        kind = ReportKind.NOT_SPAM
    elif feedback_type in _COMPLAINTS:
        kind = ReportKind.COMPLAINT
    else:
        raise Unreadable(f"unknown Feedback-Type {feedback_type[:40]!r}")
    assert fields is not None
    return kind, feedback_type, [str(v) for v in fields.get_all("Original-Mail-From", [])]


def _original(parts: list[Message]) -> Message | None:
    """Return the returned mail (or its headers), the report's optional third part."""
    for part in parts:
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return None


def _header(message: Message | None, name: str) -> list[str]:
    return [str(v) for v in message.get_all(name, [])] if message is not None else []


def _addresses(values: list[str]) -> list[str]:
    """Return the bare addresses of header values, in order (``<a@b>`` becomes ``a@b``)."""
    found = []
    for value in values:
        # str(): a header with bytes that are not ASCII is an email.header.Header object.
        found.extend(re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", str(value)))
    return found
