"""A process that starts before RabbitMQ waits a while for it, and gives up with one line."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.broker_reach import broker_problem
from tests.support.broker import BROKER_URL
from tests.support.databases import migrated_sqlite
from tests.support.services import reachable, require
from tests.support.varsel_process import free_port
from varsel.cli import app


def _forward(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextmanager
def broker_behind_a_late_door(opens_after: float) -> Iterator[int]:
    """Forward a loopback port to the machine's RabbitMQ, listening only after a while: a
    broker that starts seconds after the process that needs it."""
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    port = free_port()
    stop = threading.Event()

    def door() -> None:
        if stop.wait(opens_after):
            return
        with socket.create_server(("127.0.0.1", port)) as listening:
            listening.settimeout(0.1)
            while not stop.is_set():
                try:
                    client, _ = listening.accept()
                except TimeoutError:
                    continue
                broker = socket.create_connection(("127.0.0.1", 5672))
                for source, target in ((client, broker), (broker, client)):
                    threading.Thread(target=_forward, args=(source, target), daemon=True).start()

    opener = threading.Thread(target=door, daemon=True)
    opener.start()
    try:
        yield port
    finally:
        stop.set()
        opener.join(timeout=10)


def test_a_broker_that_comes_up_late_is_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="shared.broker_reach"),
        broker_behind_a_late_door(opens_after=1.5) as port,
    ):
        assert broker_problem(BROKER_URL.replace("5672", str(port)), wait=60) is None
    waited = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert waited, caplog.text
    assert all("cannot reach RabbitMQ" in line and "guest:***@" in line for line in waited)


def test_a_broker_that_never_comes_is_given_up_on_after_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"amqp://varsel:hunter2@127.0.0.1:{free_port()}/"
    with caplog.at_level(logging.WARNING, logger="shared.broker_reach"):
        problem = broker_problem(url, wait=2)
    assert problem is not None and "cannot reach RabbitMQ" in problem
    assert "hunter2" not in problem and "hunter2" not in caplog.text
    assert any("trying again" in r.getMessage() for r in caplog.records)


def test_credentials_the_broker_refuses_are_said_at_once(caplog: pytest.LogCaptureFixture) -> None:
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    url = BROKER_URL.replace("guest:guest", "guest:not-the-password")
    with caplog.at_level(logging.WARNING, logger="shared.broker_reach"):
        problem = broker_problem(url, wait=60)
    assert problem is not None and "refused the credentials" in problem
    assert "not-the-password" not in problem
    # Not asked again: waiting cannot make wrong credentials right.
    assert not any("trying again" in r.getMessage() for r in caplog.records)


def test_a_start_with_credentials_the_broker_refuses_says_to_mend_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, the line ended «…; start it, or check VARSEL_BROKER_URL»: the broker was up and
    # answering, and starting it was no step an operator could take.
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    monkeypatch.setenv("VARSEL_DATABASE_URL", migrated_sqlite(tmp_path / "varsel.db"))
    monkeypatch.setenv("VARSEL_BROKER_URL", BROKER_URL.replace("guest:guest", "guest:hunter2"))
    result = CliRunner().invoke(app, ["run", "mailer", "--port", "1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "refused the credentials" in result.output, result.output
    assert "check the user name and password in VARSEL_BROKER_URL" in result.output
    assert "start it" not in result.output and "hunter2" not in result.output
