"""Faults in the distributed topology: after recovery nothing is lost and nothing is duplicated.

Duplicated means an owed alert or digest arriving as two different messages; repeated means
the same message (same Message-ID) handed to the SMTP server again. Neither is allowed: each
mail is recorded as sent before the final "." of DATA, so a mailer killed or cut off from its
database mid-send leaves mails the server either took and the ledger knows, or discarded
(docs/decisions/0008-record-before-the-final-dot.md).

These tests stop, kill and restart servers, so they run on a PostgreSQL cluster and a RabbitMQ
node of their own (tests/support/private_servers.py), never on the machine's shared ones. The
audience is 1,200 subscribers rather than 5,000 to keep the three runs short; the mix of
rhythms and topics is the same as in test_topology.py.
"""

from __future__ import annotations

import os
import time
from typing import Any

from tests.distributed.conftest import BuildTopology
from tests.distributed.topology import (
    Plan,
    Topology,
    make_plan,
    publish_pages,
    query,
    wait_until,
)
from tests.support.private_servers import PrivatePostgres, PrivateRabbitMq

SUBSCRIBERS = 1200
MAIL_CONCURRENCY = 8
# A crashed mailer's claimed batch goes to another mailer after this lease, not 5 minutes.
FAULT_ENV = {"VARSEL_MAIL_LEASE_SECONDS": "15", "VARSEL_MAIL_CONCURRENCY": str(MAIL_CONCURRENCY)}


def _start(
    build: BuildTopology, postgres: PrivatePostgres, rabbitmq: PrivateRabbitMq
) -> tuple[Plan, Topology]:
    plan = make_plan(SUBSCRIBERS)
    topology = build(plan, postgres.create_database(), rabbitmq.url, FAULT_ENV)
    wait_until(topology.baseline_taken, 120, "the baseline of all 200 pages")
    return plan, topology


def _recover(plan: Plan, topology: Topology, since: float, fault: str) -> None:
    """Wait for every owed alert and digest, print what was measured, check each came once."""
    mailbox = topology.smtp.mailbox
    alerts = plan.expected_alerts()
    mailbox.wait_for(len(alerts), timeout=300)
    wait_until(topology.settled, 120, "the mailers to finish")
    alerts_done = time.monotonic() - since
    time.sleep(2)  # room for a late duplicate to arrive before counting
    topology.run_digests_a_week_later()
    digests = plan.expected_digests()
    mailbox.wait_for(len(alerts) + len(digests), timeout=300)
    wait_until(topology.settled, 120, "the digests to be sent")
    time.sleep(2)
    tally = topology.tally()
    delay = query(
        topology.database_url,
        "SELECT EXTRACT(EPOCH FROM max(published_at - occurred_at)) FROM outbox_events "
        "WHERE event_type = 'content.changed.v1'",
    )
    retried = query(
        topology.database_url,
        "SELECT count(*) FROM outbox_events "
        "WHERE event_type = 'content.changed.v1' AND attempts > 0",
    )
    figures: dict[str, Any] = {
        "changes": len(plan.changed),
        "alerts": len(alerts),
        "digests": len(digests),
        "received": len(mailbox.messages),
        "duplicates": tally.duplicates(),
        "repeats": tally.repeats(),
        "all_alerts_after_s": round(alerts_done, 1),
        "longest_outbox_wait_s": round(float(delay or 0), 1),
        "events_retried": int(retried),
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(f"\nreliability: {fault}: {figures}")
    tally.assert_alerts(plan)
    tally.assert_digests(plan)
    assert tally.duplicates() == 0
    assert tally.repeats() == 0, "a mail was handed to the SMTP server twice"


def test_rabbitmq_down_for_30_seconds(
    build_topology: BuildTopology,
    private_postgres: PrivatePostgres,
    private_rabbitmq: PrivateRabbitMq,
) -> None:
    plan, topology = _start(build_topology, private_postgres, private_rabbitmq)
    private_rabbitmq.stop()
    down = time.monotonic()
    publish_pages(topology.site, plan, changed=True)
    time.sleep(30)
    assert topology.smtp.mailbox.messages == [], "mail went out with the broker down"
    private_rabbitmq.start()
    outage = time.monotonic() - down
    _recover(plan, topology, down, f"RabbitMQ down for {outage:.0f}s")


def test_mailer_and_watcher_killed_mid_work(
    build_topology: BuildTopology,
    private_postgres: PrivatePostgres,
    private_rabbitmq: PrivateRabbitMq,
) -> None:
    plan, topology = _start(build_topology, private_postgres, private_rabbitmq)
    # Mid-work: a watcher is killed the instant it holds pages it is polling. A poll takes
    # milliseconds, so some unchanged pages answer slowly to make that instant easy to catch.
    slow = frozenset(sorted(s for s in range(plan.sources) if s not in plan.changed)[:20])
    publish_pages(topology.site, plan, changed=False, slow=slow)
    polling: list[str] = []

    def a_watcher_polls() -> bool:
        for name in ("watcher-1", "watcher-2"):
            pid = topology.processes[name].pid
            leased = f"SELECT count(*) FROM watch_sources WHERE lease_owner LIKE '%:{pid}#%'"
            if int(query(topology.database_url, leased)) > 0:
                polling[:] = [name]
                return True
        return False

    wait_until(a_watcher_polls, 60, "a watcher's poll")
    [name] = polling
    watcher = topology.processes[name]
    watcher.kill()
    held = query(
        topology.database_url,
        f"SELECT count(*) FROM watch_sources WHERE lease_owner LIKE '%:{watcher.pid}#%'",
    )
    changed_at = time.monotonic()
    publish_pages(topology.site, plan, changed=True)
    mailbox = topology.smtp.mailbox
    alerts = len(plan.expected_alerts())
    mailbox.wait_for(alerts // 4, timeout=180)
    topology.processes["mailer-1"].kill()
    sent_before_kill = len(mailbox.messages)
    assert sent_before_kill < alerts, "the mailers had finished before the kill"
    topology.restart(name, "mailer-1")
    _recover(
        plan,
        topology,
        changed_at,
        f"{name} killed holding {held} pages, mailer after {sent_before_kill} mails",
    )


def test_postgresql_restarted(
    build_topology: BuildTopology,
    private_postgres: PrivatePostgres,
    private_rabbitmq: PrivateRabbitMq,
) -> None:
    plan, topology = _start(build_topology, private_postgres, private_rabbitmq)
    changed_at = time.monotonic()
    publish_pages(topology.site, plan, changed=True)
    mailbox = topology.smtp.mailbox
    mailbox.wait_for(len(plan.expected_alerts()) // 4, timeout=180)
    sent_before = len(mailbox.messages)
    restarted = time.monotonic()
    private_postgres.restart()
    took = time.monotonic() - restarted
    _recover(
        plan,
        topology,
        changed_at,
        f"restarted in {took:.1f}s after {sent_before} mails",
    )
