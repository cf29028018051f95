"""Reports as relays and mailbox providers send them: a DSN (RFC 3464) and an ARF report (RFC 5965).

Modelled on what Postfix sends for a refused recipient and on the abuse reports of the large
mailbox providers' feedback loops; the parts and fields are those the RFCs require.
"""

from __future__ import annotations

import aiosmtplib


def dsn(
    *,
    to: str,
    recipient: str,
    message_id: str,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown",
) -> bytes:
    """Return a delivery status notification sent to ``to`` about a mail to ``recipient``."""
    diagnostic = diagnostic.format(recipient=recipient)
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 10:05:00 +0100
Message-ID: <20261123090500.ABC123@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

<{recipient}>: host mx.example.org said: 550 5.1.1 User unknown

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon, 23 Nov 2026 10:04:59 +0100

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--B1
Content-Type: text/rfc822-headers

Return-Path: <{to}>
From: Folkehelseinstituttet <varsel@fhi.no>
To: {recipient}
Subject: Norge i verden: ny rapport
Message-ID: {message_id}

--B1--
""".replace("\n", "\r\n").encode()


def arf(
    *,
    to: str,
    recipient: str,
    message_id: str,
    mail_from: str,
    feedback_type: str = "abuse",
) -> bytes:
    """Return an abuse report about the mail ``message_id`` that ``recipient`` marked as spam."""
    return f"""\
From: staff@feedback.example.net
To: {to}
Subject: FW: Norge i verden: ny rapport
Date: Mon, 23 Nov 2026 12:00:00 +0100
Message-ID: <fbl-7781@feedback.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="part1"

--part1
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP 192.0.2.10.

--part1
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{mail_from}>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Mon, 23 Nov 2026 10:05:00 +0100
Source-IP: 192.0.2.10

--part1
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <{mail_from}>
From: Folkehelseinstituttet <varsel@fhi.no>
To: {recipient}
Subject: Norge i verden: ny rapport
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Norge i verden er oppdatert.

--part1--
""".replace("\n", "\r\n").encode()


async def send_report(port: int, recipient: str, report: bytes) -> None:
    """Hand a report to a listener on loopback as a relay does: null sender, one recipient."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
        await client.mail("")  # reports go out with MAIL FROM:<> (RFC 3464, section 2)
        await client.rcpt(recipient)
        await client.data(report)
