"""Run ``varsel`` as a real OS process, configured only through its environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VarselProcess:
    """``varsel run [service] [--migrate]`` in a subprocess, its output kept in a log file.

    ``name`` names the log file and the process in failure messages, so several replicas can
    share a folder; ``migrate=False`` leaves the schema to the test (replicas starting together
    may all migrate, and take turns, but each then waits for the one before).
    """

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        *args: str,
        name: str = "varsel",
        migrate: bool = True,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self._env = {
            **os.environ,
            "VARSEL_BASE_URL": self.base_url,
            "VARSEL_VAR_DIR": str(workdir / "var"),
            "VARSEL_ALLOW_PRIVATE_ADDRESSES": "true",
            "VARSEL_MAIL_POLL_SECONDS": "0.2",
            **env,
        }
        self._args = [*args, "--migrate"] if migrate else list(args)
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until /readyz says ready."""
        self.spawn()
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not become ready in {timeout}s:\n{self.log()}")

    def spawn(self) -> None:
        """Start, without waiting for anything."""
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the file
            self._process = subprocess.Popen(
                [sys.executable, "-m", "varsel", "run", *self._args, "--port", str(self.port)],
                cwd=self._workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def environment(self) -> dict[str, str]:
        """Return the environment the process runs with (for a ``varsel`` command beside it)."""
        return dict(self._env)

    def log(self) -> str:
        """Return everything the process wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def pid(self) -> int | None:
        """Return the process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Tell whether the process has been started and has not exited."""
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """Kill with SIGKILL, as a crash or an out-of-memory kill would, and reap it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def terminate(self, within: float) -> int:
        """Send SIGTERM and return the exit status; fail if it has not exited ``within`` s."""
        assert self._process is not None
        self._process.terminate()
        try:
            return self._process.wait(timeout=within)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise AssertionError(
                f"{self.name}: no exit {within}s after SIGTERM:\n{self.log()}"
            ) from exc

    def stop(self) -> None:
        """Stop with SIGTERM, then SIGKILL if it hangs."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def varsel_command(env: dict[str, str], workdir: Path, *args: str, stdin: str = "") -> str:
    """Run ``varsel ARGS`` beside running processes, as an operator would; return its output.

    The test fails, with what the command said, unless it exits 0.
    """
    done = subprocess.run(
        [sys.executable, "-m", "varsel", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"varsel {' '.join(args)}: {done.stderr}{done.stdout}"
    return done.stdout


def create_admin(env: dict[str, str], workdir: Path, name: str, role: str, password: str) -> None:
    """Make a staff account with ``varsel admin create-user``, as the README says."""
    command = ("admin", "create-user", name, "--role", role, "--password-stdin")
    varsel_command(env, workdir, *command, stdin=f"{password}\n")


def wait_until(
    condition: Callable[[], bool], what: str, within: float, every: float = 0.05
) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail naming ``what`` after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        time.sleep(every)
