"""Whose address is the client's: the peer's, unless the peer is a proxy the operator trusts.

``varsel run`` as its own process, spoken to from 127.0.0.1 with X-Forwarded-For headers. Without
``VARSEL_TRUSTED_PROXIES`` a rotating header must not bypass the per-client sign-up limit nor
reach the admin's audit log; with the peer trusted, each forwarded client has its own counter
and is the one the audit log names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.journey import csrf
from tests.support.varsel_process import VarselProcess, create_admin
from tests.support.words import admin_text

TOPIC = "norge-i-verden"
PASSWORD = "Fjelltur-i-tåke-med-17-geiter"
SPOOFED = "203.0.113.66"


def start(workdir: Path, **env: str) -> VarselProcess:
    """Start varsel with a per-client sign-up limit of two, and an operator account."""
    process = VarselProcess(
        workdir,
        {
            "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'varsel.db'}",
            "VARSEL_WATCHER_ENABLED": "false",
            "VARSEL_SIGNUP_LIMIT_PER_CLIENT": "2",
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS": "100",
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY": "100",
            **env,
        },
    )
    process.start()
    create_admin(process.environment, workdir, "ops", "operator", PASSWORD)
    return process


@pytest.fixture
def untrusted(tmp_path: Path) -> Iterator[VarselProcess]:
    process = start(tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[VarselProcess]:
    process = start(tmp_path, VARSEL_TRUSTED_PROXIES="127.0.0.1, ::1")
    try:
        yield process
    finally:
        process.stop()


def sign_up(client: httpx.Client, person: int, forwarded_for: str) -> int:
    answer = client.post(
        "/api/v1/subscriptions",
        json={"email": f"person{person}@example.no", "topics": [TOPIC]},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert answer.status_code in (202, 429), answer.text
    return answer.status_code


def audit_log_after_sign_in(client: httpx.Client, forwarded_for: str) -> str:
    """Sign in as the operator with a forwarded address; return the audit log page."""
    form = client.get("/admin/login")
    signed_in = client.post(
        "/admin/login",
        data={"name": "ops", "password": PASSWORD, "csrf_token": csrf(form.text)},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert signed_in.status_code == 303, signed_in.text
    audit = client.get("/admin/audit")
    assert audit.status_code == 200, audit.text
    return audit.text


def test_a_spoofed_forwarded_address_is_not_believed(untrusted: VarselProcess) -> None:
    with httpx.Client(base_url=untrusted.base_url, timeout=30) as client:
        # Each request claims another address; all come from 127.0.0.1, one client.
        codes = [sign_up(client, n, f"198.51.100.{n}") for n in range(1, 5)]
        assert codes == [202, 202, 429, 429]
        audit = audit_log_after_sign_in(client, SPOOFED)
    assert f"<td>{admin_text('nb', 'Signed in')}</td>" in audit
    assert SPOOFED not in audit
    assert "<td>127.0.0.1</td>" in audit


def test_behind_a_trusted_proxy_each_client_has_its_own_counter(
    behind_proxy: VarselProcess,
) -> None:
    with httpx.Client(base_url=behind_proxy.base_url, timeout=30) as client:
        first = [sign_up(client, n, "198.51.100.1") for n in range(1, 4)]
        # A proxy appends the address it saw; a client's own claim to the left is not believed.
        second = [sign_up(client, n, f"10.9.9.{n}, 198.51.100.2") for n in range(4, 7)]
        assert first == [202, 202, 429]
        assert second == [202, 202, 429]
        audit = audit_log_after_sign_in(client, f"10.0.0.1, {SPOOFED}")
    assert f"<td>{SPOOFED}</td>" in audit
    assert "10.0.0.1" not in audit
