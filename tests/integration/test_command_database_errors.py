"""Every `varsel` command given a database it cannot use says why in one line and exits non-zero."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.databases import empty_database, migrated_sqlite
from tests.support.services import require
from varsel.cli import app

NEVER_MIGRATED = (
    ["admin", "list-users"],
    ["admin", "export-ledger"],
    ["admin", "erase", "kari@example.no", "--reason", "asked by letter"],
    ["admin", "publishers", "list"],
    ["run", "--port", "1"],
)


def _said_in_one_line(result: object, *words: str) -> None:
    output = getattr(result, "output", "")
    assert getattr(result, "exit_code", 0) == 1, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    assert all(word in output for word in words), output


@pytest.mark.parametrize("argv", NEVER_MIGRATED, ids=lambda argv: " ".join(argv[:2]))
def test_a_database_never_migrated_says_to_migrate(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, argv)
    _said_in_one_line(result, "varsel migrate")
    assert "kari@example.no" not in result.output


def _schema(tmp_path: Path) -> list[tuple[str, ...]]:
    """Return the database's tables and, last, the revision it is at."""
    with sqlite3.connect(tmp_path / "varsel.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
        return [*tables, *connection.execute("SELECT version_num FROM alembic_version")]


def _migrated_by_a_later_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, ...]]:
    """Use a SQLite database at revision 9999, which only a later release knows."""
    url = migrated_sqlite(tmp_path / "varsel.db")
    with sqlite3.connect(tmp_path / "varsel.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    monkeypatch.setenv("VARSEL_DATABASE_URL", url)
    return _schema(tmp_path)


def test_a_database_a_newer_release_migrated_is_left_as_it_is_by_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a rollback, compose runs the older release's `migrate` on every `up`, and the
    # services wait for it to succeed: it must leave the newer schema be and say so.
    tables = _migrated_by_a_later_release(tmp_path, monkeypatch)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "'9999'" in result.output and "later release" in result.output
    assert _schema(tmp_path) == tables


def test_run_with_migrate_starts_on_a_database_a_newer_release_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run` is `varsel run --migrate`: after a rollback of the embedded mode it must start
    # on the newer schema as `varsel migrate` lets the services start. Before, it ended with
    # "cannot migrate the database: Can't locate revision identified by '9999'".
    tables = _migrated_by_a_later_release(tmp_path, monkeypatch)
    # A broker that does not answer ends the start right after the migration step, so the test
    # sees how far it got without serving anything.
    monkeypatch.setenv("VARSEL_BROKER_URL", "amqp://varsel@127.0.0.1:9/")
    monkeypatch.setenv("VARSEL_BROKER_WAIT_SECONDS", "0")
    result = CliRunner().invoke(app, ["run", "mailer", "--migrate", "--port", "1"])
    assert "cannot migrate" not in result.output, result.output
    assert "Traceback" not in result.output
    assert "'9999'" in result.output and "later release" in result.output
    assert "cannot reach RabbitMQ" in result.output  # it went on to start
    assert _schema(tmp_path) == tables


def test_run_on_a_database_an_older_release_migrated_says_to_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new release's processes started before its `varsel migrate` (a Job not yet run, a
    # compose file without the migrate service). Before, the process started, then its first
    # query failed («no such column: watch_sources.returned_at») in a traceback of about 250
    # lines, and it exited with status 3.
    url = migrated_sqlite(tmp_path / "varsel.db")
    with sqlite3.connect(tmp_path / "varsel.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0020'")
    monkeypatch.setenv("VARSEL_DATABASE_URL", url)
    # Were the schema not checked, the start would go on to the broker, which does not answer.
    monkeypatch.setenv("VARSEL_BROKER_URL", "amqp://varsel@127.0.0.1:9/")
    monkeypatch.setenv("VARSEL_BROKER_WAIT_SECONDS", "0")
    result = CliRunner().invoke(app, ["run", "mailer", "--port", "1"])
    _said_in_one_line(result, "'0020'", "varsel migrate")
    assert "RabbitMQ" not in result.output


def test_a_database_at_a_revision_this_release_knows_is_migrated_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = migrated_sqlite(tmp_path / "varsel.db")
    with sqlite3.connect(tmp_path / "varsel.db") as connection:
        head = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    monkeypatch.setenv("VARSEL_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.output
    with sqlite3.connect(tmp_path / "varsel.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == head


def test_a_data_folder_that_is_a_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "var").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    for argv in (["migrate"], ["admin", "list-users"]):
        _said_in_one_line(CliRunner().invoke(app, argv), str(tmp_path / "var"), "Not a directory")


def test_a_database_server_that_refuses_says_so_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Port 9 (discard) on loopback: nothing listens there on a test machine.
    url = "postgresql+asyncpg://varsel:hunter2-secret@127.0.0.1:9/varsel"
    monkeypatch.setenv("VARSEL_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["migrate"])
    _said_in_one_line(result, "VARSEL_DATABASE_URL")
    assert "hunter2" not in result.output


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose server takes connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]  # the backlog takes them: connected, never answered


@pytest.mark.postgres
def test_a_database_that_times_out_says_so(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncpg's timeouts are a bare TimeoutError, without words: before, the line said
    # «varsel: ; is the server VARSEL_DATABASE_URL names reachable?».
    with empty_database("postgresql", Path()) as url:
        # A statement the server takes longer over than the driver waits for.
        monkeypatch.setenv("VARSEL_DATABASE_URL", f"{url}?command_timeout=0.000001")
        _said_in_one_line(CliRunner().invoke(app, ["migrate"]), "varsel: timed out; ")
    # A server that takes the connection and never answers: migrate gives up when the setting
    # says, as the services do (before, it waited the 2 s default whatever was set).
    silent = f"postgresql+asyncpg://varsel:hunter2-secret@127.0.0.1:{silent_port}/varsel"
    monkeypatch.setenv("VARSEL_DATABASE_URL", silent)
    monkeypatch.setenv("VARSEL_DATABASE_CONNECT_TIMEOUT_SECONDS", "0.7")
    result = CliRunner().invoke(app, ["migrate"])
    _said_in_one_line(result, "varsel: the database did not answer within 0.7 s; is the server")
    assert "hunter2" not in result.output


@pytest.fixture
def server_without_tls() -> Iterator[int]:
    """A loopback port that answers PostgreSQL's SSLRequest with «N», as a server without TLS."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            with client:
                client.recv(8)  # length and the SSLRequest code
                client.sendall(b"N")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_a_database_server_without_tls_asked_for_it_says_so(
    server_without_tls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docs/deployment.md says to add ?ssl=require off-cluster; a server that takes no TLS then
    # refuses every connection. Before, the line asked «is the server VARSEL_DATABASE_URL names
    # reachable?» of a server that had just answered.
    url = f"postgresql+asyncpg://varsel:hunter2-secret@127.0.0.1:{server_without_tls}/varsel"
    monkeypatch.setenv("VARSEL_DATABASE_URL", f"{url}?ssl=require")
    result = CliRunner().invoke(app, ["migrate"])
    _said_in_one_line(result, "rejected SSL upgrade", "takes no TLS", "?ssl=require")
    assert "reachable?" not in result.output and "hunter2" not in result.output


@pytest.mark.postgres
@pytest.mark.parametrize(
    "argv", [["migrate"], ["run", "mailer", "--port", "1"], ["admin", "list-users"]]
)
def test_a_database_the_server_does_not_have_says_to_create_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new installation whose database was never made (a typo in its name, a managed server
    # where it is made apart). Before, the line ended «run `varsel migrate` if the database is
    # new», which `varsel migrate` itself said too, ending the same way: no step led anywhere.
    with empty_database("postgresql", Path()) as url:
        missing = f"{url}_never_created"
        name = missing.rsplit("/", 1)[1]
        monkeypatch.setenv("VARSEL_DATABASE_URL", missing)
        result = CliRunner().invoke(app, argv)
    _said_in_one_line(result, f'database "{name}" does not exist', "CREATE DATABASE", name)
    assert "if the database is new" not in result.output


@pytest.mark.parametrize(
    "argv", [["admin", "export-ledger"], ["admin", "list-users"], ["check-config"]]
)
def test_output_that_cannot_be_written_is_not_blamed_on_the_database(
    argv: list[str], tmp_path: Path
) -> None:
    # /dev/full, only opened as the command's standard output: every write fails with ENOSPC,
    # as on a disk that filled up under `> export.csv`.
    require(Path("/dev/full").exists(), "/dev/full (a Linux device every write to fails)")
    url = migrated_sqlite(tmp_path / "varsel.db")
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    env["VARSEL_CONFIG"] = ""  # the catalogue varsel comes with, for check-config
    command = [sys.executable, "-m", "varsel", *argv]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            command, stdout=full, stderr=subprocess.PIPE, env=env, timeout=60, check=False
        )
    assert done.returncode == 1, done.stderr
    # Before: «No space left on device; is the server VARSEL_DATABASE_URL names reachable?»
    assert done.stderr.decode() == "varsel: cannot write the output: No space left on device\n"


def test_a_broker_that_does_not_answer_at_start_says_so_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RabbitMQ down (or a wrong VARSEL_BROKER_URL) when a service starts: before, the server's
    # failed start-up printed pages of traceback around the reason.
    monkeypatch.setenv("VARSEL_DATABASE_URL", migrated_sqlite(tmp_path / "varsel.db"))
    monkeypatch.setenv("VARSEL_BROKER_URL", "amqp://varsel:hunter2-secret@127.0.0.1:9/")
    monkeypatch.setenv("VARSEL_BROKER_WAIT_SECONDS", "0")  # asked once: no waiting here
    result = CliRunner().invoke(app, ["run", "mailer", "--port", "1"])
    _said_in_one_line(result, "cannot reach RabbitMQ", "127.0.0.1:9", "VARSEL_BROKER_URL")
    assert "hunter2" not in result.output


def test_a_log_level_in_small_letters_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARSEL_LOG_LEVEL", "warning")
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 0, result.output


LOG_LEVEL = ("VARSEL_LOG_LEVEL", "LOUD", "WARNING")
DATABASE_URL = ("VARSEL_DATABASE_URL", "postgresql://varsel:hunter2@db/varsel", "+asyncpg://")


@pytest.mark.parametrize(
    ("argv", "setting"),
    [
        # Before, an unknown log level ended every command in a traceback from logging.
        (["check-config"], LOG_LEVEL),
        (["migrate"], LOG_LEVEL),
        (["run", "--port", "1"], LOG_LEVEL),
        # Before, staff commands said only "invalid settings: 1 problem(s)".
        (["admin", "list-users"], DATABASE_URL),
        (["admin", "export-ledger"], DATABASE_URL),
        (["catalogue", "export"], DATABASE_URL),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value[0],
)
def test_a_wrong_setting_is_named_with_what_a_good_one_looks_like(
    argv: list[str],
    setting: tuple[str, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variable, value, good = setting
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "hunter2" not in result.output
    assert variable in result.output and good in result.output, result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--port", "99999"],
        ["run", "mailer", "--port", "0"],
        ["demo", "--sample-port", "80000"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_a_port_out_of_range_is_refused_before_anything_starts(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, `varsel run --port 99999` said it served on 127.0.0.1:99999 and listened on
    # another port (99999 - 65536), where no health check or proxy looked.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--" in result.output and "port" in result.output, result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "999.1.1.1"])
def test_an_address_that_cannot_be_served_on_ends_run_in_one_line(
    host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A port another process holds, or a host that is no address: before, every service
    # started (catalogue, digests, watcher) and stopped again, with tracebacks of its jobs.
    monkeypatch.setenv("VARSEL_DATABASE_URL", migrated_sqlite(tmp_path / "varsel.db"))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["run", "--host", host, "--port", str(port)])
    # Said without a step before: the option to change is named now.
    _said_in_one_line(result, f"cannot serve HTTP on {host}:{port}", "; check --host and --port")


@pytest.mark.parametrize("days", ["5", "0", "-1"])
def test_purge_consent_keeps_the_records_at_least_as_long_as_the_setting_must(
    days: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, --days 5 deleted the consent records of everyone erased more than five days ago
    # (VARSEL_CONSENT_RETENTION_DAYS refuses less than 30), and -1 was told to give --days.
    monkeypatch.setenv("VARSEL_DATABASE_URL", migrated_sqlite(tmp_path / "varsel.db"))
    result = CliRunner().invoke(app, ["admin", "purge-consent", "--days", days, "--quiet"])
    assert result.exit_code == 2, result.output
    assert "from 30 to 36500" in result.output and "nothing was deleted" in result.output
