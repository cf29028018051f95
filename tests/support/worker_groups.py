"""How `make test` shares the suite between its two pytest-xdist workers.

Each group is handed to one worker whole, in the order collected; a worker that finishes takes
the next group left. Every test that starts processes of its own (varsel, Chromium) is in one
group, so they run one after another on one worker while the other takes the tests that run
in process: no two of them compete for the machine, and a process's start-up never waits
behind a second tier doing the same. Every other module is a group of its own (its module-wide
fixtures are set up once), except where a folder shares one session-wide fixture worth
computing once (one run of the HTML checker over every page and mail).

The distributed tier is a group of its own: it mostly waits on its own PostgreSQL and RabbitMQ
and, as before, runs beside the others rather than after them.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

PROCESS_TIERS = {"browser", "e2e"}
SHARED_FOLDERS = {("integration", "html_valid")}


def worker_group(nodeid: str) -> str:
    """Name the group of a test, from its node id (``tests/<tier>/.../test_x.py::name``)."""
    parts = PurePosixPath(nodeid.split("::", 1)[0]).parts
    if parts[:1] == ("tests",):
        parts = parts[1:]
    if parts[:1] and parts[0] in PROCESS_TIERS:
        return "processes"
    if parts[:2] in SHARED_FOLDERS:
        return "/".join(parts[:2])
    return "/".join(parts)


class WorkerGroupScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by scope, with `worker_group` as the scope.

    ``_split_scope`` is the method pytest-xdist's own file and group schedulers override.
    """

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)

    def _split_scope(self, nodeid: str) -> str:
        return worker_group(nodeid)
