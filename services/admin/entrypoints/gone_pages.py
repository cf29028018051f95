"""Pages that disappeared: an editor confirms each before its followers are told, once.

The watcher decides that a page is gone (only 404 or 410, or only an error message in place of
its text, for VARSEL_PAGE_GONE_AFTER_DAYS) and takes the confirmation through its
``command_api``, in the transaction that records the editor's audit entry. Each page is worded
as what it showed (``read_api.Absence``): a page that has shown an error message for days may
be broken rather than removed, and its editor checks it knowing so. Then the editor retires the
topic or points the source at the new page with the catalogue's own pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.admin.entrypoints.access import AdminDep, EditorPage, language_of, posted_form
from services.admin.entrypoints.typed_numbers import typed_number
from services.subscriptions import read_api as subscriptions
from services.watcher import command_api as watcher_commands
from services.watcher import read_api as watcher
from shared.db import transaction

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/gone", response_class=HTMLResponse)
async def gone(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """List the pages that are gone and wait for an editor's confirmation."""
    return await _page(request, admin, actor)


@router.post("/gone/{raw_id}", response_class=HTMLResponse)
async def confirm(
    raw_id: str, request: Request, admin: AdminDep, actor: EditorPage
) -> HTMLResponse:
    """Confirm that a page is gone: its followers get one notice; tell a late second editor."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    source_id = typed_number(raw_id, 9)
    if source_id is None:
        return await _page(request, admin, actor, status=404, error="gone_not_waiting")
    async with transaction(admin.runtime.sessions) as session:
        removed = await watcher_commands.confirm_page_gone(
            session, source_id, admin.runtime.clock.now()
        )
        if removed is None:
            # Lost a race, or the page answers again: the log shows who tried, and when.
            actor.record(session, "page_gone_refused", target=str(source_id))
        else:
            actor.record(
                session,
                "page_gone_confirmed",
                target=removed.source_url[:500],
                details={"source_id": source_id, "topics": list(removed.topics)},
            )
    if removed is None:
        return await _page(request, admin, actor, status=409, error="gone_not_waiting")
    admin.runtime.relay.wake()
    return await _page(request, admin, actor, confirmed=removed)


async def _page(
    request: Request, admin: AdminDep, actor: EditorPage, status: int = 200, **extra: Any
) -> HTMLResponse:
    language = language_of(request)
    now = admin.runtime.clock.now()
    async with admin.runtime.sessions() as session:
        pages = await watcher.gone_pages(session)
        reach = {
            p.source_id: sum((await subscriptions.reach_by_frequency(session, p.topics)).values())
            for p in pages
        }

    def topic_title(slug: str) -> str:
        topic = admin.runtime.catalogue.topic(slug)
        return topic.title_in(language) if topic else slug

    context: dict[str, Any] = {"error": None, "confirmed": None, **extra}
    return admin.render(
        request,
        "gone.html",
        status_code=status,
        actor=actor.principal,
        pages=pages,
        reach=reach,
        topic_title=topic_title,
        absence=watcher.Absence,
        days={p.source_id: (now - p.missing_since).days for p in pages},
        gone_days=f"{admin.runtime.settings.page_gone_after_days:g}",
        **context,
    )
