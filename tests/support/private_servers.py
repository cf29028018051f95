"""Private PostgreSQL and RabbitMQ servers for fault tests: stopped, killed and restarted at will.

The machine's shared servers serve other test runs at the same time, so a test that stops a
server starts its own: a PostgreSQL cluster made with ``initdb`` in a temporary directory and a
RabbitMQ node with its own name, ports, data and log directories, both on free loopback ports.
As root, PostgreSQL runs as the ``postgres`` system user (it refuses to run as root).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from tests.support.services import reachable
from tests.support.varsel_process import free_port


def _postgres_bin() -> Path | None:
    """Return the newest PostgreSQL server binary directory, if any is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version_key(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def _rabbitmq_bin() -> Path | None:
    """Return the directory of the real rabbitmq-server script (not the su-ing wrapper)."""
    for candidate in (Path("/usr/lib/rabbitmq/bin"), Path("/usr/local/sbin")):
        if (candidate / "rabbitmq-server").exists() and (candidate / "rabbitmqctl").exists():
            return candidate
    server = shutil.which("rabbitmq-server")
    return Path(server).parent if server and shutil.which("rabbitmqctl") else None


def postgres_binaries_available() -> bool:
    """Tell whether initdb and pg_ctl are installed (and, as root, a postgres user exists)."""
    directory = _postgres_bin()
    if directory is None or not (directory / "pg_ctl").exists():
        return False
    return os.geteuid() != 0 or _system_user("postgres") is not None


def rabbitmq_binaries_available() -> bool:
    """Tell whether rabbitmq-server and rabbitmqctl are installed."""
    return _rabbitmq_bin() is not None


def _system_user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        directory = _postgres_bin()
        if directory is None:
            raise RuntimeError("PostgreSQL server binaries are not installed")
        self._bin = directory
        self.port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="varsel-pg-"))
        self._data = self._root / "data"
        self.log_path = self._root / "postgres.log"
        # PostgreSQL will not run as root; as root, run it as the postgres system user.
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = _system_user("postgres")
            assert user is not None
            os.chown(self._root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def admin_url(self) -> str:
        """Return the asyncpg URL of the maintenance database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self._as, *args], check=True, capture_output=True, timeout=timeout, cwd=self._root
        )

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._root} "
            "-c max_connections=300 -c fsync=off -c synchronous_commit=off"
        )
        self._run(
            str(self._bin / "pg_ctl"), "-D", str(self._data), "-l", str(self.log_path),
            "-o", options, "-w", "-t", "60", *args,
        )  # fmt: skip

    def start(self) -> None:
        """Create the cluster on first use, then start it and wait until it accepts connections."""
        if not self._data.exists():
            self._run(
                str(self._bin / "initdb"), "-D", str(self._data), "-A", "trust",
                "-U", "postgres", "-E", "UTF8", "--no-sync",
            )  # fmt: skip
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back and disconnect every session; immediate: crash)."""
        self._pg_ctl("-m", mode, "stop")

    def restart(self) -> None:
        """Stop (disconnecting every client) and start again on the same port."""
        self.stop("fast")
        self.start()

    def create_database(self) -> str:
        """Create an empty database; return its SQLAlchemy asyncpg URL."""
        name = f"varsel_{uuid.uuid4().hex[:12]}"

        async def create() -> None:
            connection = await asyncpg.connect(self.admin_url, timeout=10)
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stop the server hard and delete its files."""
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)


class PrivateRabbitMq:
    """A RabbitMQ node of its own (name, ports, cookie, data and logs) on 127.0.0.1."""

    def __init__(self) -> None:
        directory = _rabbitmq_bin()
        if directory is None:
            raise RuntimeError("RabbitMQ is not installed")
        self._bin = directory
        self.port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="varsel-rabbitmq-"))
        self.node = f"varsel-{uuid.uuid4().hex[:8]}@localhost"
        (self._root / "rabbitmq.conf").write_text(
            "loopback_users.guest = true\nlog.console = false\n", encoding="utf-8"
        )
        (self._root / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        (self._root / "rabbitmq-env.conf").write_text(
            "ERL_EPMD_ADDRESS=127.0.0.1\n", encoding="utf-8"
        )
        self._env = {
            **os.environ,
            # The Erlang cookie lives in HOME: a private one keeps rabbitmqctl on this node.
            "HOME": str(self._root),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self._root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self._root / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(self._root / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self._root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self._root / "rabbitmq.pid"),
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the VARSEL_BROKER_URL that reaches the node."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _ctl(self, *args: str, timeout: float = 90) -> None:
        subprocess.run(
            [str(self._bin / "rabbitmqctl"), "-n", self.node, *args],
            check=True,
            capture_output=True,
            env=self._env,
            timeout=timeout,
        )

    def start(self, timeout: float = 90) -> None:
        """Boot the node (keeping its data from any earlier run) and wait for the AMQP port."""
        log = (self._root / "server.out").open("ab")
        self._process = subprocess.Popen(
            [str(self._bin / "rabbitmq-server")],
            env=self._env,
            cwd=self._root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            # ``wait`` waits for the pid file, then for the broker application to be running.
            self._ctl("wait", self._env["RABBITMQ_PID_FILE"], "--timeout", str(int(timeout)))
            deadline = time.monotonic() + timeout
            while not reachable("127.0.0.1", self.port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"RabbitMQ node {self.node} did not open port {self.port}")
                time.sleep(0.2)
        except BaseException:
            self._kill()
            raise

    def _kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Stop the whole node, as an operator or a crash would; its data stays on disk."""
        self._ctl("stop")
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._kill()
            self._process = None

    def destroy(self) -> None:
        """Stop the node and delete its files."""
        if self._process is not None:
            try:
                self.stop()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._kill()
        shutil.rmtree(self._root, ignore_errors=True)
