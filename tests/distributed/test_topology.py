"""Two of each service as separate processes: every owed mail arrives, exactly once.

200 pages are watched, 20 change after the baseline, and 5,000 confirmed subscribers follow
one to three of 20 topics with immediate, daily or weekly mail. The alerts go out at once;
the digests when the mailers are restarted a week later (their clocks moved ahead).
"""

from __future__ import annotations

import os
import time

from tests.distributed.conftest import BuildTopology
from tests.distributed.topology import make_plan, publish_pages, wait_until
from tests.support.services import fresh_postgres_database


def test_every_owed_mail_arrives_exactly_once(
    build_topology: BuildTopology, shared_broker_url: str
) -> None:
    plan = make_plan(5000)
    with fresh_postgres_database() as database_url:
        topology = build_topology(plan, database_url, shared_broker_url)
        mailbox = topology.smtp.mailbox
        baseline = wait_until(topology.baseline_taken, 120, "the baseline of all 200 pages")
        assert mailbox.messages == [], "the baseline alone sent mail"

        publish_pages(topology.site, plan, changed=True)
        alerts = plan.expected_alerts()
        started = time.monotonic()
        mailbox.wait_for(len(alerts), timeout=240)
        wait_until(topology.settled, 60, "the mailers to finish")
        alerting = time.monotonic() - started
        tally = topology.tally()
        tally.assert_alerts(plan)
        assert tally.digests == {}, "a digest went out before its period ended"
        assert tally.repeats() == 0

        started = time.monotonic()
        topology.run_digests_a_week_later()
        digests = plan.expected_digests()
        mailbox.wait_for(len(alerts) + len(digests), timeout=240)
        wait_until(topology.settled, 60, "the digests to be sent")
        digesting = time.monotonic() - started
        tally = topology.tally()
        tally.assert_alerts(plan)
        tally.assert_digests(plan)
        assert tally.other == 0
        assert tally.repeats() == 0, "with no fault, no mail is handed to SMTP twice"
        print(
            f"\ntopology: {len(alerts)} alerts and {len(digests)} digests to "
            f"{len(plan.people)} subscribers, {tally.repeats()} repeats; baseline "
            f"{baseline:.0f}s, alerts {alerting:.0f}s, digests with restart {digesting:.0f}s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
