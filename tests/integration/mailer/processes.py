"""Mailer replicas as real OS processes (``python -m varsel run mailer``) that a test can kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.varsel_process import free_port


class MailerProcess:
    """One ``varsel run mailer`` process, configured through its environment only."""

    def __init__(self, workdir: Path, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self._workdir = workdir
        self._env = {
            **os.environ,
            "VARSEL_BASE_URL": f"http://127.0.0.1:{self.port}",
            "VARSEL_VAR_DIR": str(workdir / "var"),
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until /readyz answers 200."""
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "varsel", "run", "mailer", "--port", str(self.port)],
                cwd=self._workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not become ready in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """Kill at once (SIGKILL): no cleanup, no last commit, as when a machine dies."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)

    def stop(self) -> None:
        """Stop with SIGTERM, then SIGKILL if it hangs."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def log(self) -> str:
        """Return everything the process wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
