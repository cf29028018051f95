"""The admin as a process of its own: ``varsel run admin`` serves the staff side and nothing
public, ``varsel run subscriptions`` serves the public pages and no /admin route at all.

Both run as real processes on one database, configured only by their environment, as an
operator would run them with the public pages on the internet and the admin on an internal
network. The account is made with ``varsel admin create-user``, as the README says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.varsel_process import VarselProcess, create_admin
from tests.support.words import admin_text

TOPIC = "norge-i-verden"
CATALOGUE = f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
"""
PASSWORD = "a long enough password"
STAFF_PATHS = ("/admin", "/admin/login", "/admin/ledger", "/api/v1/admin/audit")


@pytest.fixture
def apart(tmp_path: Path) -> Iterator[tuple[VarselProcess, VarselProcess, dict[str, str]]]:
    config = tmp_path / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    env = {
        "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
        "VARSEL_CONFIG": str(config),
    }
    public = VarselProcess(tmp_path, env, "subscriptions", name="subscriptions")
    public.start()  # migrates first
    staff = VarselProcess(tmp_path, env, "admin", name="admin", migrate=False)
    try:
        staff.start()
        yield public, staff, env
    finally:
        staff.stop()
        public.stop()


def test_the_public_process_serves_no_admin_route(
    apart: tuple[VarselProcess, VarselProcess, dict[str, str]],
) -> None:
    public, _, _ = apart
    with httpx.Client(base_url=public.base_url, timeout=10) as http:
        assert http.get(f"/subscribe/{TOPIC}").status_code == 200
        assert http.get("/static/varsel.css").status_code == 200
        for path in STAFF_PATHS:
            assert http.get(path).status_code == 404, path
        assert http.post("/admin/login", data={"name": "kari"}).status_code == 404
        # Not even described: the public API schema names no staff route.
        schema = http.get("/openapi.json").json()
        assert schema["paths"] and not [p for p in schema["paths"] if "admin" in p]


def test_the_admin_process_serves_the_staff_side_alone(
    apart: tuple[VarselProcess, VarselProcess, dict[str, str]], tmp_path: Path
) -> None:
    _, staff, env = apart
    create_admin(env, tmp_path, "kari", "auditor", PASSWORD)
    with httpx.Client(base_url=staff.base_url, timeout=30) as http:
        assert http.get(f"/subscribe/{TOPIC}").status_code == 404
        assert http.get("/api/v1/admin/audit").status_code == 401  # there, and guarded
        assert http.get("/static/varsel.css").status_code == 200  # its pages have their style
        form = http.get("/admin/login")
        assert form.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        signed_in = http.post(
            "/admin/login",
            data={"name": "kari", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert signed_in.status_code == 303, signed_in.text
        home = http.get("/admin")
        assert home.status_code == 200
        assert f'href="/admin/topics/{TOPIC}"' in home.text
        audit = http.get("/admin/audit")
        assert audit.status_code == 200
        # The account was made on the command line and the sign-in here: both are audited.
        made, signed_in = admin_text("nb", "Created an account"), admin_text("nb", "Signed in")
        assert f">{made}<" in audit.text and f">{signed_in}<" in audit.text
