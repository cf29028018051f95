"""``varsel admin export-ledger`` is audited as made only once its output is complete; an
output that failed midway is audited as a failed export, with how many rows were handed to it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from shared.db import create_engine, session_factory
from tests.integration.admin import seed
from tests.support.databases import migrated_sqlite
from tests.support.services import require


async def _ledger_with_rows(tmp_path: Path, rows: int) -> str:
    url = migrated_sqlite(tmp_path / "varsel.db")
    if not rows:
        return url
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed.ledger_steps(session, rows, date(2026, 1, 1), ("topic",))
    finally:
        await engine.dispose()
    return url


async def _audited(url: str) -> list[tuple[str, dict[str, Any] | None]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            query = select(AdminAuditEntry).order_by(AdminAuditEntry.id)
            return [(e.action, e.details) for e in (await session.scalars(query)).all()]
    finally:
        await engine.dispose()


def _export(
    url: str, tmp_path: Path, stdout: Any, *args: str
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "-m", "varsel", "admin", "export-ledger", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("rows", [0, 3000], ids=["header only", "three batches"])
async def test_an_export_whose_output_failed_is_not_audited_as_made(
    rows: int, tmp_path: Path
) -> None:
    # /dev/full as standard output: every write fails with ENOSPC, as on a disk that filled up
    # under `> ledger.csv`. Before, «ledger_export» was committed before the first row was
    # written, so the audit log said the ledger had been exported.
    require(Path("/dev/full").exists(), "/dev/full (a Linux device every write to fails)")
    url = await _ledger_with_rows(tmp_path, rows)
    with open("/dev/full", "wb") as full:
        done = _export(url, tmp_path, full, "--quiet")
    assert done.returncode == 1, done.stderr
    audited = await _audited(url)
    assert [action for action, _ in audited] == ["ledger_export_failed"], audited
    details = audited[0][1] or {}
    # Rows are written through a buffer: at most this many reached the output.
    assert 0 <= details["rows"] <= rows


async def test_a_complete_export_is_audited_with_its_rows(tmp_path: Path) -> None:
    url = await _ledger_with_rows(tmp_path, 5)
    done = _export(url, tmp_path, subprocess.PIPE, "--quiet", "--out", str(tmp_path / "l.csv"))
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "l.csv").read_text(encoding="utf-8").splitlines()) == 6
    assert [(a, (d or {}).get("rows")) for a, d in await _audited(url)] == [("ledger_export", 5)]
    done = _export(url, tmp_path, subprocess.PIPE, "--quiet")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 6, done.stderr
    assert [a for a, _ in await _audited(url)] == ["ledger_export", "ledger_export"]
