"""The staff side run alone (`varsel run admin`) answers a browser's unknown path, wrong method,
form it cannot read or body too large with its own page, in the language asked for; the API with
JSON as before."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared.runtime import build_runtime
from shared.settings import Settings
from shared.web.forms import MAX_FORM_FIELDS
from tests.integration.admin.harness import CATALOGUE
from varsel.app import create_app

BROWSER = {"accept": "text/html"}


async def test_the_admin_alone_answers_a_browser_with_a_page(
    sqlite_url: str, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(Settings(database_url=sqlite_url, config=catalogue, var_dir=tmp_path))
    app = create_app(runtime, ("admin",))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://testserver"
        ) as client:
            missing = await client.get("/admin/nope", headers=BROWSER)
            english = await client.get("/admin/nope?lang=en", headers=BROWSER)
            method = await client.delete("/admin/login", headers=BROWSER)
            large = await client.post("/admin/login", content=b"x" * 2_000_000, headers=BROWSER)
            fields = await client.post(
                "/admin/login",
                content="&".join("f=" for _ in range(MAX_FORM_FIELDS + 1)).encode(),
                headers={**BROWSER, "content-type": "application/x-www-form-urlencoded"},
            )
            api = await client.get("/api/v1/admin/nope", headers=BROWSER)
    finally:
        await runtime.close()
    for answer, status, words in (
        (missing, 404, "Det finnes ingen side på denne adressen."),
        (english, 404, "There is no page at this address."),
        (method, 405, "Siden kan ikke åpnes på den måten."),
        (large, 413, "større enn administrasjonen tar imot"),
        (fields, 400, "har flere felt enn et skjema har"),
    ):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert words in answer.text
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}
