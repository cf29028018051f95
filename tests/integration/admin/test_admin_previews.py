"""Mail previews in the admin: every kind in every language, framed safely, for editors."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from services.mailer.read_api import PREVIEW_KINDS
from tests.integration.admin.harness import running, sign_in

LANGUAGES = ("nb", "nn", "en")


async def test_each_kind_in_each_language_shows_headers_html_and_text(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, base_url="https://varsel.example.no") as h:
        await h.user("ed", "editor")
        async with h.client() as client:
            assert (await sign_in(client, "ed")).status_code == 303
            index = await client.get("/admin/previews")
            assert index.status_code == 200
            for kind in PREVIEW_KINDS:
                for language in LANGUAGES:
                    path = f"/admin/previews/{kind}/{language}"
                    assert f'href="{path}"' in index.text
                    page = await client.get(path)
                    assert page.status_code == 200, path
                    csp = page.headers["content-security-policy"]
                    assert "script-src 'self'" in csp
                    assert "img-src 'self' https://varsel.example.no" in csp
                    assert "frame-ancestors 'none'" in csp
                    frame = re.search(r'<iframe class="mail-preview" ([^>]*)>', page.text)
                    assert frame, path
                    assert 'sandbox=""' in frame.group(1)
                    srcdoc = re.search(r'srcdoc="([^"]*)"', frame.group(1))
                    assert srcdoc and html.unescape(srcdoc.group(1)).lstrip().startswith(
                        "<!DOCTYPE html>"
                    )
                    assert "<dt>Subject</dt>" in page.text
                    assert "kari.nordmann@example.no" in page.text
                    assert '<pre class="mail-text"' in page.text


@pytest.mark.parametrize(
    "path", ["/admin/previews/newsletter/nb", "/admin/previews/alert/de", "/admin/previews/x/y"]
)
async def test_an_unknown_kind_or_language_is_not_found(
    sqlite_url: str, tmp_path: Path, path: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            response = await client.get(path)
            assert response.status_code == 404
            assert 'role="alert"' in response.text or "<h1>" in response.text


async def test_an_auditor_sees_no_previews(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as client:
            await sign_in(client, "aud")
            assert (await client.get("/admin/previews/alert/nb")).status_code == 403
