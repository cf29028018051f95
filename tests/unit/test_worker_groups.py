"""How `make test` shares the suite between its workers (tests/support/worker_groups.py)."""

from __future__ import annotations

from tests.support.worker_groups import next_group, waiting, worker_group


def test_tests_that_start_processes_share_one_group_and_the_rest_go_by_module() -> None:
    assert worker_group("tests/browser/test_admin_pages.py::test_x[nb]") == "processes"
    assert worker_group("tests/e2e/test_walking_skeleton.py::test_y") == "processes"
    assert worker_group("tests/integration/html_valid/test_mails.py::test_z") == (
        "integration/html_valid"
    )
    assert worker_group("tests/integration/watcher/test_changes.py::test_a") == (
        "integration/watcher/test_changes.py"
    )


def test_the_waiting_tests_have_groups_of_their_own_by_module() -> None:
    faults = worker_group("tests/distributed/test_faults.py::test_postgresql_restarted")
    live = worker_group("tests/e2e/test_catalogue_live.py::test_two_watchers")
    sigterm = worker_group("tests/e2e/test_sigterm.py::test_sigterm_cuts_a_running_job")
    assert waiting(faults) and waiting(live) and waiting(sigterm)
    assert faults != worker_group("tests/distributed/test_topology.py::test_every")
    assert not waiting(worker_group("tests/e2e/test_demo.py::test_demo"))


def test_the_waiting_worker_takes_only_waiting_groups_in_their_order() -> None:
    left = ["processes", "waiting: distributed/test_faults.py", "unit/test_a.py",
            "waiting: distributed/test_topology.py"]  # fmt: skip
    assert next_group(left, waiting_worker=True) == "waiting: distributed/test_faults.py"
    assert next_group(["unit/test_a.py"], waiting_worker=True) is None
    assert next_group([], waiting_worker=True) is None


def test_the_other_workers_take_the_rest_first_then_what_waits() -> None:
    left = ["waiting: distributed/test_faults.py", "processes", "unit/test_a.py"]
    assert next_group(left, waiting_worker=False) == "processes"
    assert next_group(left[:1], waiting_worker=False) == "waiting: distributed/test_faults.py"
    assert next_group([], waiting_worker=False) is None


class _Gateway:
    def __init__(self, name: str) -> None:
        self.id = name


class _Worker:
    """A pytest-xdist worker as the scheduler sees it; it runs a test only once it knows the
    next one or that none comes (xdist's remote.py), as a real worker does."""

    def __init__(self, name: str) -> None:
        self.gateway = _Gateway(name)
        self.shutting_down = False
        self.queue: list[int] = []
        self.ran: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue += indices

    def shutdown(self) -> None:
        self.shutting_down = True

    def runnable(self) -> bool:
        return len(self.queue) >= 2 or (bool(self.queue) and self.shutting_down)


class _Config:
    class option:
        loadscopereorder = False

    def getvalue(self, name: str) -> object:
        assert name == "tx"
        return ["3*popen"]


COLLECTION = [
    "tests/browser/test_pages.py::test_a",
    "tests/browser/test_pages.py::test_b",
    "tests/distributed/test_faults.py::test_down",
    "tests/distributed/test_faults.py::test_restarted",
    "tests/e2e/test_catalogue_live.py::test_two_watchers",
    "tests/e2e/test_demo.py::test_demo",
    "tests/integration/test_x.py::test_one",
    "tests/integration/test_x.py::test_two",
    "tests/integration/test_y.py::test_three",
    "tests/unit/test_z.py::test_four",
]


def test_with_three_workers_the_last_runs_only_waiting_tests_and_every_test_runs_once() -> None:
    from tests.support.worker_groups import WorkerGroupScheduling

    scheduling = WorkerGroupScheduling(_Config())  # type: ignore[arg-type]
    workers = [_Worker(f"gw{n}") for n in range(3)]
    for worker in workers:
        scheduling.add_node(worker)  # type: ignore[arg-type]
        scheduling.add_node_collection(worker, COLLECTION)  # type: ignore[arg-type]
    scheduling.schedule()
    waiting_worker = workers[2]
    ran_while_others_worked = []
    # Each worker runs a test in turn, as long as any can: none may be left holding one.
    while any(worker.runnable() for worker in workers):
        for worker in workers:
            if worker.runnable():
                index = worker.queue.pop(0)
                worker.ran.append(index)
                if worker is waiting_worker and any(w.queue for w in workers[:2]):
                    ran_while_others_worked.append(index)
                scheduling.mark_test_complete(worker, index)  # type: ignore[arg-type]
    assert not any(worker.queue for worker in workers)
    assert sorted(i for worker in workers for i in worker.ran) == list(range(len(COLLECTION)))
    assert {COLLECTION[i].split("::")[0] for i in waiting_worker.ran} == {
        "tests/distributed/test_faults.py",
        "tests/e2e/test_catalogue_live.py",
    }
    assert waiting_worker.shutting_down
    # Its last test ran beside the others' work, not held until the end of the run.
    assert waiting_worker.ran[-1] in ran_while_others_worked
    assert scheduling.tests_finished
