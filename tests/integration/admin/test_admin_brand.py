"""The staff pages carry the organisation's look, served by varsel, even with the admin alone."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.admin.harness import CATALOGUE, running, sign_in
from varsel.app import create_app

LOGO = Path(__file__).resolve().parents[2] / "fixtures" / "brand" / "logo.svg"


async def test_admin_pages_show_the_logo_accent_and_name(sqlite_url: str, tmp_path: Path) -> None:
    async with running(
        sqlite_url, tmp_path, logo=LOGO, accent_colour="#A4001D", site_name="Helsedirektoratet"
    ) as h:
        await h.user("ed", "editor")
        async with h.client() as client:
            for path in ("/admin/login", "/admin/login?lang=en"):
                login = await client.get(path)
                header = login.text.split("</header>")[0]
                assert '<link rel="stylesheet" href="/brand/brand.css">' in header
                assert '<img class="logo" src="/brand/logo.svg" alt="">' in header
                assert "Helsedirektoratet" in header
            await sign_in(client, "ed")
            for path in ("/admin", "/admin/sources?lang=nn"):
                page = await client.get(path)
                assert page.status_code == 200, path
                assert '<img class="logo" src="/brand/logo.svg" alt="">' in page.text, path
            css = await client.get("/brand/brand.css")
            assert css.text == ":root { --accent: #a4001d; --accent-dark: #6b0013; }\n"


async def test_the_admin_alone_serves_the_look_it_names(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(
        Settings(
            database_url=sqlite_url,
            config=config,
            var_dir=tmp_path,
            logo=LOGO,
            accent_colour="#A4001D",
        )
    )
    try:
        # The staff side on an internal host: no public pages beside it.
        app = create_app(runtime, ("admin",))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
            assert (await client.get("/subscribe/norge-i-verden")).status_code == 404
            login = await client.get("/admin/login")
            assert '<img class="logo" src="/brand/logo.svg" alt="">' in login.text
            css = await client.get("/brand/brand.css")
            assert css.status_code == 200
            assert "--accent: #a4001d;" in css.text
            logo = await client.get("/brand/logo.svg")
            assert logo.status_code == 200 and logo.content == LOGO.read_bytes()
    finally:
        await runtime.close()
