"""How `make test` shares the suite between its workers (tests/support/worker_groups.py)."""

from __future__ import annotations

from tests.support.worker_groups import next_group, waiting, worker_group


def test_tests_that_start_processes_share_one_group_and_the_rest_go_by_module() -> None:
    assert worker_group("tests/browser/test_admin_pages.py::test_x[nb]") == "processes"
    assert worker_group("tests/e2e/test_sigterm.py::test_y") == "processes"
    assert worker_group("tests/integration/html_valid/test_mails.py::test_z") == (
        "integration/html_valid"
    )
    assert worker_group("tests/integration/watcher/test_changes.py::test_a") == (
        "integration/watcher/test_changes.py"
    )


def test_the_waiting_tests_have_groups_of_their_own_by_module() -> None:
    faults = worker_group("tests/distributed/test_faults.py::test_postgresql_restarted")
    live = worker_group("tests/e2e/test_catalogue_live.py::test_two_watchers")
    assert waiting(faults) and waiting(live)
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
