""" "Test this source" on the source form itself: what varsel sees, beside the form, before saving.

The editor fills in the form, presses the second button, and gets the form back as they left it
with the title, dates, text, feed items or PDF text beside it; nothing is saved, and a refusal
about a field stands beside that field. A real HTTP server on loopback serves the sources.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin.adapters import catalogue_rows
from services.admin.adapters.tables import AdminAuditEntry
from shared.catalogue_file import dump_catalogue
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token
from tests.integration.admin.source_trial_support import FEED, site
from tests.integration.admin.sources_support import KNOWN, signed_in_editor
from tests.support.site import FixtureSite

__all__ = ["site"]  # the loopback site of the trial page's tests, imported for pytest


async def _test_on_form(
    client: httpx.AsyncClient, data: dict[str, object], query: str = "lang=en"
) -> httpx.Response:
    page = await client.get(f"/admin/sources?{query}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    return await client.post(
        f"/admin/sources?{query}", data={**data, "action": "test", "csrf_token": token}
    )


async def _state(h: Harness) -> tuple[str, list[str]]:
    async with h.runtime.sessions() as session:
        catalogue = (await catalogue_rows.load(session)).catalogue
        actions = await session.scalars(
            select(AdminAuditEntry.action).where(
                AdminAuditEntry.actor == "ed", AdminAuditEntry.action != "login"
            )
        )
        return dump_catalogue(catalogue), list(actions)


async def test_the_form_comes_back_as_typed_with_what_varsel_sees(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path, allow_private_addresses=True) as (
        h,
        client,
    ):
        before, _ = await _state(h)
        url = f"{site.base_url}/side"
        data = {
            "url": url,
            "kind": "page",
            "topics": [OTHER],
            "interval": "1h",
            "selector": "main",
            "ignore": "Sist oppdatert .*\nEndret .*",
        }
        answer = await _test_on_form(client, data)
        assert answer.status_code == 200, answer.text
        seen = answer.text.split('<section aria-labelledby="seen">')[1]
        assert "What varsel sees" in seen and "Norge i verden" in seen
        assert 'class="trial-text"' in seen
        opening = '<form id="source-form" method="post" action="/admin/sources?lang=en"'
        form = answer.text.split(opening)[1]
        form = form.split("</form>")[0]
        assert f'value="{url}"' in form
        assert 'id="kind-page" name="kind" value="page" checked' in form
        assert f'id="topic-{OTHER}" name="topics" value="{OTHER}" checked' in form
        assert f'id="topic-{TOPIC}" name="topics" value="{TOPIC}">' in form
        assert 'value="1h"' in form and 'value="main"' in form
        assert ">Sist oppdatert .*\nEndret .*</textarea>" in form
        assert "Add the source" in form
        after, actions = await _state(h)
        # Tried, not saved: the catalogue is as it was, and the try is in the audit log.
        assert after == before
        assert actions == ["source_tested"]


async def test_an_edited_source_is_tested_before_its_change_is_saved(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path, allow_private_addresses=True) as (
        h,
        client,
    ):
        before, _ = await _state(h)
        feed = await _test_on_form(
            client,
            {"original": KNOWN, "url": f"{site.base_url}/nyheter.rss", "kind": "feed"},
            "lang=nn",
        )
        assert feed.status_code == 200, feed.text
        assert f'name="original" value="{KNOWN}"' in feed.text
        assert feed.text.count("<li><p><strong>") == FEED.count(b"<item>") > 1
        pdf = await _test_on_form(client, {"url": f"{site.base_url}/rapport.pdf", "kind": "pdf"})
        assert pdf.status_code == 200
        assert 'class="trial-text"' in pdf.text
        assert (await _state(h)) == (before, ["source_tested", "source_tested"])


@pytest.mark.parametrize(
    ("fields", "field", "status", "reason"),
    [
        ({"selector": "#finnes-ikke"}, "selector", 200, "matched nothing"),
        ({"selector": "p[["}, "selector", 400, "cannot be read"),
        ({"ignore": "(uavsluttet"}, "ignore", 400, "not a valid regular expression"),
        ({"kind": "video"}, "kind", 400, "a page, a feed or a PDF"),
        ({"url": "ftp://example.org/"}, "url", 400, "https://"),
        ({"url": ""}, "url", 400, "https://"),
    ],
)
async def test_a_refusal_about_a_field_stands_beside_it_and_nothing_is_saved(
    sqlite_url: str,
    tmp_path: Path,
    site: FixtureSite,
    fields: dict[str, str],
    field: str,
    status: int,
    reason: str,
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path, allow_private_addresses=True) as (
        h,
        client,
    ):
        before, _ = await _state(h)
        data = {"url": f"{site.base_url}/side", "kind": "page", "topics": [TOPIC], **fields}
        answer = await _test_on_form(client, data)
        assert answer.status_code == status, answer.text
        beside = answer.text.split(f'<p class="error-message" id="{field}-error">')[1]
        assert reason in beside.split("</p>")[0]
        described = (
            f'{field}-error"' if field in ("url", "kind") else f'{field}-hint {field}-error"'
        )
        assert f'aria-describedby="{described}' in answer.text
        assert 'role="alert"' in answer.text.split('<section aria-labelledby="seen">')[1]
        assert 'class="trial-text"' not in answer.text
        assert (await _state(h)) == (before, ["source_tested"])
