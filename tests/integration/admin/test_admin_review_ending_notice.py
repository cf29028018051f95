"""The notice that ending a source's review mode put publishers' pushes on the editors' desk
(docs/publishing.md) comes after a redirect: a reload of the page reads the list again and
saves nothing, and only a notice the server signed for this editor, minutes ago, is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.domain import desk_notice
from services.admin.domain.desk_notice import OnDesk
from services.mailer.adapters.tables import ChangeRecord
from shared.clock import FrozenClock
from tests.integration.admin.harness import TOPIC, Harness
from tests.integration.admin.sources_support import (
    KNOWN,
    post_from_sources,
    pushed_after_a_told_change,
    signed_in_editor,
)

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
FORM = {"original": KNOWN, "url": KNOWN, "kind": "page", "topics": TOPIC}
ONE = "One change from the publishing system now waits on the editor"
TWO = "2 changes from the publishing system now wait on the editor"


async def _saved_and_desk(h: Harness) -> tuple[int, list[str]]:
    """Return how many saves of the catalogue the audit log holds, and the desk's statuses."""
    async with h.runtime.sessions() as session:
        saves = await session.scalar(
            select(func.count())
            .select_from(AdminAuditEntry)
            .where(AdminAuditEntry.action == "catalogue_applied")
        )
        statuses = (await session.scalars(select(ChangeRecord.status))).all()
    return saves or 0, list(statuses)


async def test_a_reload_of_the_page_the_save_leads_to_saves_nothing_and_tells_no_more(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(NOW)
    async with signed_in_editor(database_url, tmp_path, clock=clock) as (h, client):
        reviewed = await post_from_sources(client, "/admin/sources", {**FORM, "mode": "review"})
        assert reviewed.status_code == 303
        await pushed_after_a_told_change(h, NOW, {"k1": "Nytt k1."})
        saved = await post_from_sources(client, "/admin/sources", {**FORM, "mode": "automatic"})
        assert saved.status_code == 303, saved.text
        address = saved.headers["location"]
        assert address.startswith("/admin/sources?lang=en&to_desk=")
        after_the_save = await _saved_and_desk(h)
        assert after_the_save[1] == ["waiting"]

        shown = await client.get(address)
        assert shown.text.count('id="to-desk"') == 1 and ONE in shown.text
        reloaded = await client.get(address)  # what a browser's reload sends: a GET, no form
        assert reloaded.status_code == 200 and ONE in reloaded.text  # still true, not "none"
        assert await _saved_and_desk(h) == after_the_save

        # Later, the address (the browser's history, a bookmark) no longer claims it.
        clock.advance(desk_notice.LIFETIME + timedelta(seconds=1))
        later = await client.get(address)
        assert later.status_code == 200 and 'id="to-desk"' not in later.text


@pytest.mark.parametrize(
    "value",
    [
        "2.0.{issued}.AAAAAAAAAAAAAAAAAAAAAA",  # a count anyone wrote, with no signature
        "{other}",  # signed for another account
        "{stale}",  # signed for this editor, too long ago
        "<b>2</b>.0.{issued}.x",  # text in the address is never shown
        "",
    ],
)
async def test_only_a_notice_signed_for_this_editor_minutes_ago_is_shown(
    database_url: str, tmp_path: Path, value: str
) -> None:
    async with signed_in_editor(database_url, tmp_path, clock=FrozenClock(NOW)) as (h, client):
        key = h.runtime.settings.secret_key
        two = OnDesk(waiting=2, minor=0)
        value = value.format(
            issued=int(NOW.timestamp()),
            other=desk_notice.signed(key, "another", two, NOW),
            stale=desk_notice.signed(key, "ed", two, NOW - timedelta(minutes=6)),
        )
        shown = await client.get("/admin/sources", params={"to_desk": value})
        assert shown.status_code == 200
        assert 'id="to-desk"' not in shown.text and "<b>2</b>" not in shown.text
        # The same notice, signed for this editor now, is shown, with its link to the desk.
        genuine = desk_notice.signed(key, "ed", two, NOW)
        told = await client.get("/admin/sources", params={"to_desk": genuine, "lang": "en"})
        assert TWO in told.text and 'href="/admin/desk' in told.text
