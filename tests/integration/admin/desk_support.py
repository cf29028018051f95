"""The editor's desk running for a test: the app with the mailer beside it, its one source in
review mode, changes found on it, and an editor's decisions, sent as a browser sends them."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.admin import catalogue as commands
from services.admin.adapters import catalogue_rows
from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.tables import ChangeRecord
from services.subscriptions import bootstrap as subscriptions
from shared.events import ContentChanged
from shared.outbox import record
from shared.runtime import build_runtime
from shared.settings import Settings
from shared.vocabulary import ReviewMode
from tests.integration.admin.harness import CATALOGUE, TOPIC, Harness, csrf_token, sign_in
from varsel.app import create_app

SOURCE = "https://example.org/side"  # the harness catalogue's one source
PERSON = "kari@example.org"


@asynccontextmanager
async def desk_running(
    url: str, tmp_path: Path, catalogue_text: str = CATALOGUE
) -> AsyncIterator[Harness]:
    """The harness's app with the mailer beside it, the catalogue (the harness's, unless
    given) stored as start-up stores it."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(catalogue_text, encoding="utf-8")
    runtime = build_runtime(Settings(database_url=url, config=catalogue, var_dir=tmp_path))
    app = create_app(runtime, ("subscriptions", "admin", "mailer"))
    await subscriptions.record_privacy_notices(runtime)
    await commands.apply_at_start(
        runtime.sessions, catalogue, runtime.clock.now(), allow_private=True
    )
    try:
        yield Harness(runtime, app)
    finally:
        await runtime.close()


async def relay(h: Harness) -> None:
    """Publish what the outbox holds until it is empty, so every consumer has had its events."""
    while await h.runtime.relay.publish_pending():
        pass


async def to_review(h: Harness, client: httpx.AsyncClient) -> None:
    """Switch the source to review mode through the sources form, as an editor does."""
    page = await client.get("/admin/sources?lang=en")
    assert 'value="review"' in page.text
    saved = await client.post(
        "/admin/sources?lang=en",
        data={
            "csrf_token": csrf_token(page.text),
            "original": SOURCE,
            "url": SOURCE,
            "kind": "page",
            "topics": [TOPIC],
            "interval": "15m",
            "mode": "review",
        },
    )
    assert saved.status_code == 303, saved.text
    async with h.runtime.sessions() as session:
        stored = (await catalogue_rows.load(session)).catalogue
    assert stored.sources[0].mode is ReviewMode.REVIEW
    await relay(h)


async def detected(h: Harness, title: str = "Ny veileder") -> uuid.UUID:
    """Record a change found on the source, as a poll does, and let the mailer hold it."""
    event = ContentChanged(
        source_id=1,
        source_url=SOURCE,
        kind="page",
        topics=(TOPIC,),
        title=title,
        url="https://example.org/side#ny",
        summary="Generert sammendrag.",
    )
    async with h.runtime.sessions() as session, session.begin():
        await record(session, event)
    await relay(h)
    return event.event_id


async def decide(
    client: httpx.AsyncClient, change_id: uuid.UUID, decision: str, note: str, version: str = "0"
) -> httpx.Response:
    """Send a decision on a change from its desk page, as the editor's browser does."""
    page = await client.get(f"/admin/desk/{change_id}?lang=en")
    return await client.post(
        f"/admin/desk/{change_id}?lang=en",
        data={
            "csrf_token": csrf_token(page.text),
            "decision": decision,
            "version": version,
            "note": note,
        },
    )


async def audit(h: Harness, action_prefix: str) -> list[AdminAuditEntry]:
    """Return the audit entries whose action starts so, oldest first."""
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.action.startswith(action_prefix))
            .order_by(AdminAuditEntry.id)
        )
        return list(rows.all())


async def released(h: Harness) -> int:
    """Count the changes with a place in the release log the digests read."""
    async with h.runtime.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ChangeRecord)
                .where(ChangeRecord.release_seq.is_not(None))
            )
            or 0
        )


@asynccontextmanager
async def editor_at_desk(
    url: str, tmp_path: Path, *, follower: str | None = None
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """The desk running, the editor "ed" signed in on the client, who has switched the source
    to review mode; with ``follower`` (a frequency), PERSON follows its topic, confirmed."""
    async with desk_running(url, tmp_path) as h:
        if follower is not None:
            await h.sign_up(PERSON, frequency=follower)
            await h.confirm(PERSON)
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            await to_review(h, client)
            yield h, client


async def source_edit_form(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    """A source's edit form as a browser sends it back: hidden fields and what it shows."""
    form = await client.get("/admin/sources", params={"edit": url, "lang": "en"})
    assert form.status_code == 200
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.text)
    fields: dict[str, object] = {name: html.unescape(value) for name, value in hidden}
    checked = re.findall(r'name="(kind|mode|topics)" value="([^"]*)" checked', form.text)
    for name, value in checked:
        fields[name] = [*fields.get(name, []), value] if name == "topics" else value  # type: ignore[list-item]
    return {**fields, "url": url, "interval": "15m"}
