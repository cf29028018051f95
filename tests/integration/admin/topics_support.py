"""A topic's form sent from the admin's topics page as a browser sends it, and what the catalogue
and the audit log hold afterwards."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from sqlalchemy import select

from services.admin.adapters import catalogue_rows
from services.admin.adapters.tables import AdminAuditEntry
from shared.catalogue_entries import Catalogue
from tests.integration.admin.harness import TOPIC, Harness, csrf_token

NEW = {
    "slug": "vaksiner",
    "title_nb": "Vaksiner",
    "title_nn": "Vaksinar",
    "title_en": "Vaccines",
    "section_nb": "Folkehelseinstituttet",
    "section_en": "Norwegian Institute of Public Health",
    "description_nb": "Råd om vaksiner.",
    "page": "https://www.fhi.no/vaksiner/",
    "related": [TOPIC],
}


async def stored_catalogue(h: Harness) -> Catalogue:
    """Return the catalogue as the database holds it."""
    async with h.runtime.sessions() as session:
        return (await catalogue_rows.load(session)).catalogue


async def applied_by_editors(h: Harness) -> list[AdminAuditEntry]:
    """Return the catalogue changes the audit log holds from people, oldest first."""
    async with h.runtime.sessions() as session:
        entries = await session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.action == "catalogue_applied", AdminAuditEntry.actor != "system")
            .order_by(AdminAuditEntry.id)
        )
        return list(entries)


async def post_from_topics(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], lang: str = "en"
) -> httpx.Response:
    """Send a form to path with the topics page's CSRF token, as the page's forms send it."""
    page = await client.get(f"/admin/topics?lang={lang}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    return await client.post(f"{path}?lang={lang}", data={**data, "csrf_token": token})


async def topic_edit_form(client: httpx.AsyncClient, slug: str) -> dict[str, str]:
    """The hidden fields of a topic's edit form, as a browser sends them back."""
    form = await client.get("/admin/topics", params={"edit": slug, "lang": "en"})
    assert form.status_code == 200
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.text)
    return {name: html.unescape(value) for name, value in hidden}
