"""`varsel demo` delivers a confirmation mail and an alert into var/demo/outbox with no network,
and leaves the installation in var/ (its catalogue, database and outbox) as it was."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import httpx

from tests.support.journey import hidden_fields
from tests.support.varsel_process import free_port, varsel_command

BUNDLED = Path(__file__).resolve().parents[2] / "varsel" / "default_catalogue.toml"


def _wait_for_mails(outbox: Path, count: int, timeout: float) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        if len(mails) >= count:
            return mails
        time.sleep(0.2)
    raise AssertionError(f"expected {count} mail(s) in {outbox} within {timeout}s")


def _text(path: Path) -> str:
    message = BytesParser(policy=default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_demo_sends_confirmation_and_alert_to_the_outbox(tmp_path: Path) -> None:
    port, sample_port = free_port(), free_port()
    env = {**os.environ, "VARSEL_VAR_DIR": str(tmp_path / "var"), "VARSEL_SMTP_URL": ""}
    env.pop("VARSEL_DATABASE_URL", None)
    # The installation in var/ as `make run` leaves it: its catalogue (the bundled one, whose
    # slugs the demo's share) and a mail in its outbox.
    varsel_command(env, tmp_path, "migrate")
    varsel_command(env, tmp_path, "catalogue", "apply", str(BUNDLED), "--quiet")
    own = varsel_command(env, tmp_path, "catalogue", "export")
    (tmp_path / "var" / "outbox").mkdir(mode=0o700)
    (tmp_path / "var" / "outbox" / "mine.eml").write_bytes(b"Subject: mine\r\n\r\nmine\r\n")
    log = (tmp_path / "demo.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "varsel",
            "demo",
            "--port",
            str(port),
            "--sample-port",
            str(sample_port),
            "--change-every",
            "3",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    outbox = tmp_path / "var" / "demo" / "outbox"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "demo did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as browser:
            form = browser.get("/subscribe/norge-i-verden")
            browser.post(
                "/subscribe/norge-i-verden",
                data={
                    **hidden_fields(form.text),
                    "email": "demo@example.no",
                    "frequency": "immediate",
                },
            )
            (confirmation,) = _wait_for_mails(outbox, 1, 30)
            link = re.search(rf"{re.escape(base)}/confirm/\S+", _text(confirmation))
            assert link, _text(confirmation)
            page = browser.get(link.group(0))
            confirmed = browser.post(link.group(0), data=hidden_fields(page.text))
            assert "Norge i verden" in confirmed.text
        mails = _wait_for_mails(outbox, 2, 60)
        alert = _text(mails[-1])
        assert "Oppdatering" in alert or "demo-endring" in alert, alert
        assert f"http://127.0.0.1:{sample_port}/norge-i-verden.html" in alert
    finally:
        process.terminate()
        process.wait(timeout=30)
    said = (tmp_path / "demo.log").read_text()
    assert f"demo: keeps everything in {tmp_path / 'var' / 'demo'} (its own" in said, said
    # Before, the demo applied its catalogue to var/varsel.db: "3 added, 3 changed, 6 retired",
    # the operator's own topics among them, and wrote its mail beside theirs in var/outbox.
    assert varsel_command(env, tmp_path, "catalogue", "export") == own
    assert [mail.name for mail in (tmp_path / "var" / "outbox").iterdir()] == ["mine.eml"]
