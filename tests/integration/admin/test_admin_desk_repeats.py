"""An editor who sends the same decision twice (a double press, a form sent again from the
browser's history) has it taken once and is not told another editor was first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from services.mailer.adapters.tables import Delivery
from tests.integration.admin.desk_support import (
    audit,
    desk_running,
    detected,
    editor_at_desk,
    relay,
    released,
    to_review,
)
from tests.integration.admin.harness import csrf_token, sign_in

ANOTHER_EDITOR = "Another editor decided on this change first"
YOU_DECIDED = "You decided on this change already"


async def test_the_same_decision_sent_twice_is_taken_once_and_said_to_be_done(
    database_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(database_url, tmp_path, follower="immediate") as (h, client):
        change_id = await detected(h)
        page = await client.get(f"/admin/desk/{change_id}?lang=en")
        approve = {
            "csrf_token": csrf_token(page.text),
            "decision": "approve",
            "version": "0",
            "note": "Fristen er flyttet.",
        }
        path = f"/admin/desk/{change_id}?lang=en"
        # A double press: both at once; then the page sent again from the history.
        both = await asyncio.gather(*(client.post(path, data=approve) for _ in range(2)))
        again = await client.post(path, data=approve)
        assert [a.status_code for a in (*both, again)] == [303, 303, 303]
        shown = await client.get(again.headers["location"])
        assert ANOTHER_EDITOR not in shown.text and "Fristen er flyttet." in shown.text

        # Back in the history, the editor chooses otherwise: refused, and told it was them.
        held = await client.post(path, data={**approve, "decision": "hold"})
        assert held.status_code == 409
        assert YOU_DECIDED in held.text and ANOTHER_EDITOR not in held.text
        edited = await client.post(path, data={**approve, "note": "Fristen er flyttet igjen."})
        assert edited.status_code == 409 and YOU_DECIDED in edited.text
        await relay(h)

        assert await released(h) == 1
        async with h.runtime.sessions() as session:
            alerts = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.kind == "alert")
            )
        assert alerts == 1, "one alert to the one follower"
        assert len(await audit(h, "change_approved")) == 1
        refused = await audit(h, "change_decision_refused")
        assert [r.details for r in refused] == [{"reason": "decided_by_you"}] * 2


async def test_another_editors_stale_page_is_still_told_someone_else_was_first(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.user("kari", "editor")
        async with h.client() as first, h.client() as second:
            await sign_in(first, "ed")
            await sign_in(second, "kari")
            await to_review(h, first)
            change_id = await detected(h)
            pages = [await c.get(f"/admin/desk/{change_id}?lang=en") for c in (first, second)]
            form = {"decision": "minor", "version": "0", "note": ""}
            path = f"/admin/desk/{change_id}?lang=en"
            mine = await first.post(path, data={**form, "csrf_token": csrf_token(pages[0].text)})
            theirs = await second.post(path, data={**form, "csrf_token": csrf_token(pages[1].text)})
        assert mine.status_code == 303
        assert theirs.status_code == 409 and ANOTHER_EDITOR in theirs.text


async def test_a_choice_the_desk_does_not_offer_is_named_so_and_decides_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="immediate") as (h, client):
        change_id = await detected(h)
        page = await client.get(f"/admin/desk/{change_id}?lang=nn")
        form = {"csrf_token": csrf_token(page.text), "decision": "bogus", "version": "0"}
        refused = await client.post(f"/admin/desk/{change_id}?lang=nn", data=form)
        assert refused.status_code == 400
        assert "Skjemaet bad om eit val denne sida ikkje har." in refused.text
        assert "Skjemaet hadde gått ut" not in refused.text
        assert await audit(h, "change_approved") == []
