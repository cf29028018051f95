"""An editor at the bulletin page, the page's form filled in as a browser sends it, and the
events the outbox holds for the mailer."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from services.admin import handlers
from shared.outbox import OutboxRow
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token, sign_in


def form(html: str, **overrides: object) -> dict[str, object]:
    """Return a filled-in bulletin form (the page's own CSRF token and bulletin id)."""
    bulletin_id = html.split('name="bulletin_id" value="', 1)[1].split('"', 1)[0]
    fields: dict[str, object] = {
        "csrf_token": csrf_token(html),
        "bulletin_id": bulletin_id,
        "topics": [TOPIC, OTHER],
        "subject_nb": "Stengt i julen",
        "body_nb": "Kontoret er **stengt**.",
        "subject_en": "Closed at Christmas",
        "body_en": "The office is **closed**.",
        "subject_nn": "",
        "body_nn": "",
        "mode": "urgent",
        "action": "send",
    }
    fields.update(overrides)
    return fields


async def events(h: Harness, type_name: str) -> list[dict[str, object]]:
    async with h.runtime.sessions() as session:
        rows = await session.scalars(select(OutboxRow).where(OutboxRow.event_type == type_name))
        return [json.loads(row.payload) for row in rows.all()]


async def editor(h: Harness, client: httpx.AsyncClient, *, address: str | None) -> str:
    await h.user("rita", "editor")
    if address:
        async with h.runtime.sessions() as session, session.begin():
            await handlers.set_email(session, "rita", address)
    assert (await sign_in(client, "rita")).status_code == 303
    page = await client.get("/admin/bulletins")
    assert page.status_code == 200
    return page.text
