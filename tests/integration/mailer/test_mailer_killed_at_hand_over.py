"""A sender process killed with SIGKILL at the hand-over: the server has the mail iff the dot was
written (docs/decisions/0008-record-before-the-final-dot.md).

The final dot is written into a corked socket while the ledger's COMMIT follows; these tests
kill a real process on either side of that write and check what a real SMTP server received.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.integration.mailer.faults import LoopbackSmtp
from tests.support.varsel_process import wait_until

# Runs in the child: one mail, and a hand-over that kills the process before or after the dot.
CHILD = """
import asyncio, os, signal, sys
from services.mailer.adapters.senders import SmtpMailSender

async def main(url, dot_first):
    async def hand_over(release):
        if dot_first == "yes":
            release()
        os.kill(os.getpid(), signal.SIGKILL)

    sender = SmtpMailSender(url, pool_size=1)
    message = b"From: a@fhi.no\\r\\nTo: b@example.org\\r\\nSubject: x\\r\\n\\r\\nHei\\r\\n"
    await sender.send("varsel@fhi.no", "kari@example.org", message, hand_over=hand_over)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def killed_sender(server: LoopbackSmtp, dot_first: bool) -> None:
    """Run the child to its SIGKILL and check that it died of it."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, server.url, "yes" if dot_first else "no"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_killed_right_after_the_dot_the_server_still_gets_the_mail(smtp: LoopbackSmtp) -> None:
    killed_sender(smtp, dot_first=True)

    wait_until(lambda: len(smtp.mailbox.messages) == 1, "the mail at the server", 10)
    [mail] = smtp.mailbox.messages
    assert mail.recipients == ["kari@example.org"]
    assert mail.data.endswith(b"Hei\r\n")


def test_killed_before_the_dot_the_server_discards_the_mail(smtp: LoopbackSmtp) -> None:
    killed_sender(smtp, dot_first=False)

    time.sleep(1.0)  # what the dying process had written has arrived by now
    assert smtp.mailbox.messages == []
