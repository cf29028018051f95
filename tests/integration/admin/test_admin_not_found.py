"""An unknown address under /admin gets the staff side's own page, in its language; elsewhere
the public one."""

from __future__ import annotations

from pathlib import Path

from tests.integration.admin.sources_support import signed_in_editor

BROWSER = {"Accept": "text/html"}
PUBLIC_ADVICE = "If you followed a link in an email"


async def test_an_unknown_staff_address_gets_the_staff_sides_page(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (_, browser):
        for path in ("/admin/finnes-ikke?lang=en", "/admin/topics/x/y?lang=en"):
            page = await browser.get(path, headers=BROWSER)
            assert page.status_code == 404, path
            assert '<html lang="en">' in page.text
            assert "There is no page at this address." in page.text
            assert PUBLIC_ADVICE not in page.text, path
            assert 'href="/admin?lang=en"' in page.text  # the way back to the overview
        nynorsk = await browser.get("/admin/finnes-ikke?lang=nn", headers=BROWSER)
        assert '<html lang="nn">' in nynorsk.text
        public = await browser.get("/finnes-ikke?lang=en", headers=BROWSER)
        assert public.status_code == 404 and PUBLIC_ADVICE in public.text
