"""An operator of a running varsel, made with the command line, signed in to the admin and
issuing a publisher token on its page, as a person does."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.journey import hidden_fields
from tests.support.varsel_process import VarselProcess

PASSWORD = "a long enough password for the operator"


def varsel_command(env: dict[str, str], workdir: Path, *args: str, stdin: str = "") -> str:
    """Run ``varsel`` with these arguments in its own process; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "varsel", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def signed_in(staff: VarselProcess) -> Iterator[httpx.Client]:
    """Yield a client signed in to the admin as the operator."""
    with httpx.Client(base_url=staff.base_url, timeout=10) as browser:
        login = browser.get("/admin/login")
        answer = browser.post(
            "/admin/login",
            data={**hidden_fields(login.text), "name": "driftsansvarlig", "password": PASSWORD},
        )
        assert answer.status_code in (200, 303), answer.text
        yield browser


def issue_token(staff: VarselProcess, workdir: Path, sites: tuple[str, ...]) -> str:
    """Create an operator with the CLI, sign in and issue a publisher token on the admin page."""
    varsel_command(
        staff.environment,
        workdir,
        *("admin", "create-user", "driftsansvarlig", "--role", "operator", "--password-stdin"),
        stdin=f"{PASSWORD}\n",
    )
    with signed_in(staff) as browser:
        page = browser.get("/admin/publishers")
        issued = browser.post(
            "/admin/publishers",
            data={**hidden_fields(page.text), "name": "WordPress", "sites": "\n".join(sites)},
        )
        assert issued.status_code == 200, issued.text
        match = re.search(r'id="issued" type="text" value="(varsel_pub_[^"]+)"', issued.text)
        assert match, issued.text
        listed = browser.get("/admin/publishers")
        assert match.group(1) not in listed.text, "the list never shows a token"
    return match.group(1)
