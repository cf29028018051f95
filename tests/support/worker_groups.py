"""How `make test` shares the suite between its pytest-xdist workers.

Each group is handed to one worker whole, in the order collected; a worker that finishes takes
the next group left. Every test that starts processes of its own (varsel, Chromium) is in one
group, so they run one after another on one worker while another takes the tests that run
in process: no two of them compete for the machine, and a process's start-up never waits
behind a second tier doing the same (but for the waiting groups below). Every other module
is a group of its own (its module-wide fixtures are set up once), except where a folder shares
one session-wide fixture worth computing once (one run of the HTML checker over every page and
mail).

Some groups spend most of their time waiting rather than computing: the distributed tier
(servers of its own stopped for 30 seconds, restarted, a mailer killed and its lease run
out), the live-catalogue tests whose two watchers are counted over eight poll intervals, the
SIGTERM tests (a grace period run out, a database or broker gone silent) and the WebSub one
(varsel asks the hub only after its first poll).
With three workers or more, the last worker takes only these, one after another, and stops
when none is left: their waits overlap the other two workers' work instead of adding to it,
and no third group that computes competes for the two cores. So the live-catalogue tests'
varsel processes and browser run beside the processes group's, at a load the tests allow
for (tests/conftest.py widens the database's connect timeout for it). The other workers take
the waiting groups too once nothing else is left. With fewer workers every group goes to
whichever is free.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

PROCESS_TIERS = {"browser", "e2e"}
SHARED_FOLDERS = {("integration", "html_valid")}
# Waiting tests, by tier or module. Their own timing checks are bounds a busy machine only
# delays (a poll no sooner than its interval) or generous bounds on a hang (every owed mail
# within minutes, an exit within 25 s of SIGTERM, inside Kubernetes' 30 s).
WAITING = {
    ("distributed",),
    ("e2e", "test_catalogue_live.py"),
    ("e2e", "test_editor_source_live.py"),
    ("e2e", "test_sigterm.py"),
    ("e2e", "test_websub.py"),
}
WAITING_PREFIX = "waiting: "
# The fewest workers with one kept for the waiting groups.
WORKERS_WITH_A_WAITING_ONE = 3


def worker_group(nodeid: str) -> str:
    """Name the group of a test, from its node id (``tests/<tier>/.../test_x.py::name``)."""
    parts = PurePosixPath(nodeid.split("::", 1)[0]).parts
    if parts[:1] == ("tests",):
        parts = parts[1:]
    if parts[:1] in WAITING or parts[:2] in WAITING:
        return WAITING_PREFIX + "/".join(parts)
    if parts[:1] and parts[0] in PROCESS_TIERS:
        return "processes"
    if parts[:2] in SHARED_FOLDERS:
        return "/".join(parts[:2])
    return "/".join(parts)


def waiting(group: str) -> bool:
    """Tell whether a group (worker_group) mostly waits."""
    return group.startswith(WAITING_PREFIX)


def next_group(groups: list[str], *, waiting_worker: bool) -> str | None:
    """Pick the group a worker takes next from those left, in their order; None: none for it.

    The waiting worker takes only waiting groups; the others take the rest first.
    """
    if waiting_worker:
        return next((group for group in groups if waiting(group)), None)
    return next((group for group in groups if not waiting(group)), groups[0] if groups else None)


class WorkerGroupScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by scope, with `worker_group` as the scope, and with three
    workers or more the last kept for the waiting groups.

    ``_split_scope`` is the method pytest-xdist's own file and group schedulers override;
    ``_assign_work_unit`` and ``_reschedule`` are LoadScopeScheduling's own, taking the first
    group left and stopping a worker when none is.
    """

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.waiting_worker: str | None = None
        if self.numnodes >= WORKERS_WITH_A_WAITING_ONE:
            self.waiting_worker = f"gw{self.numnodes - 1}"

    def _split_scope(self, nodeid: str) -> str:
        return worker_group(nodeid)

    def _waits(self, node: Any) -> bool:
        return bool(node.gateway.id == self.waiting_worker)

    def _assign_work_unit(self, node: Any) -> None:
        group = next_group(list(self.workqueue), waiting_worker=self._waits(node))
        if group is None:
            return
        self.workqueue.move_to_end(group, last=False)  # the unit the parent's method pops
        super()._assign_work_unit(node)

    def _reschedule(self, node: Any) -> None:
        if (
            self._waits(node)
            and not node.shutting_down
            and next_group(list(self.workqueue), waiting_worker=True) is None
        ):
            # Nothing more for it. The shutdown is graceful: the tests it holds still run. It
            # must come now, as the parent's does when nothing is left: a worker runs a test
            # only once it knows the next one (or that none comes), so waiting for its last
            # test to end would hold that test until the whole run was over.
            node.shutdown()
            return
        super()._reschedule(node)
