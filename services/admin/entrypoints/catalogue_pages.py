"""Editor pages for the catalogue's sources: add one, pause or resume it, remove it.

Each change goes through ``catalogue.edit_sources``: checked as a whole file would be, applied
in one transaction with its event (every replica follows within seconds) and audit entry. The
form's "Test this source" button shows what varsel sees there before anything is saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.admin import catalogue
from services.admin.adapters import catalogue_rows
from services.admin.catalogue import SourceRows
from services.admin.domain import desk_notice
from services.admin.domain.desk_notice import OnDesk
from services.admin.domain.source_form import source_field_errors, source_fingerprint
from services.admin.domain.topic_edits import EditRefused
from services.admin.entrypoints.access import AdminDep, EditorPage, language_of, posted_form
from services.admin.entrypoints.editor_pages import (
    SOURCE_FIELD_LIMITS,
    ignore_patterns,
    try_and_record,
)
from services.mailer import read_api as mailer
from services.watcher.read_api import SourceStatus, source_statuses
from shared.carried_text import without_bidi_controls
from shared.catalogue_addresses import page_of
from shared.catalogue_checks import CatalogueError
from shared.catalogue_entries import STORED, Catalogue, Source
from shared.catalogue_file import entry_data
from shared.db import transaction
from shared.events import ContentChanged
from shared.intervals import format_interval
from shared.vocabulary import ReviewMode, SourceKind
from shared.web.forms import read_form

router = APIRouter(prefix="/admin", include_in_schema=False)


async def _stored_catalogue(admin: AdminDep) -> Catalogue:
    async with admin.runtime.sessions() as session:
        return (await catalogue_rows.load(session)).catalogue


async def _health(admin: AdminDep) -> dict[str, SourceStatus]:
    """Return how the watcher last found each source, by address, so the editor sees failures."""
    async with admin.runtime.sessions() as session:
        return {s.url: s for s in await source_statuses(session, admin.runtime.clock.now())}


async def _page(
    request: Request, admin: AdminDep, actor: EditorPage, status: int = 200, **extra: Any
) -> HTMLResponse:
    current = await _stored_catalogue(admin)
    language = language_of(request)
    context: dict[str, Any] = {
        "catalogue_version": await catalogue.version_now(admin.runtime.sessions),
        "error": None,
        "detail": None,
        "problems": (),
        "form": {
            "url": "",
            "kind": "page",
            "interval": "15m",
            "selector": "",
            "ignore": "",
            "mode": ReviewMode.AUTOMATIC.value,
        },
        "chosen": [],
        "original": None,
        "opened_as": "",
        "errors": {},
        "tested": False,
        "trial": None,
        "trial_error": None,
        "trial_detail": None,
        "removing": None,
        "moving": None,
        "to_desk": None,
    }
    context.update(extra)
    return admin.render(
        request,
        "sources.html",
        status_code=status,
        actor=actor.principal,
        sources=current.sources,
        health=await _health(admin),
        topics=[(t.slug, t.title_in(language)) for t in current.topics],
        kinds=list(SourceKind),
        modes=list(ReviewMode),
        # The form and what varsel sees there sit side by side.
        wide=True,
        **context,
    )


@router.get("/sources", response_class=HTMLResponse)
async def sources(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """List the sources in the catalogue, with the form that adds one (or edits ``?edit=``),
    and what the save that led here put on the desk (``?to_desk=``, desk_notice)."""
    told = desk_notice.read(
        admin.runtime.settings.secret_key,
        actor.principal.name,
        request.query_params.get(desk_notice.PARAMETER),
        admin.runtime.clock.now(),
    )
    editing = request.query_params.get("edit")
    if not editing:
        return await _page(request, admin, actor, to_desk=told)
    return await _edit_page(request, admin, actor, editing, to_desk=told)


async def _edit_page(
    request: Request, admin: AdminDep, actor: EditorPage, url: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    """Show the form on a source as it is stored now, with its fingerprint (posted as ``seen``)."""
    stored = await _stored_catalogue(admin)
    found = next((s for s in stored.sources if s.url == url), None)
    if found is None:
        return await _page(request, admin, actor, status=404, error="source_not_found")
    form = {
        "url": found.url,
        "kind": found.kind,
        "interval": format_interval(found.interval),
        "selector": found.selector or "",
        "ignore": "\n".join(found.ignore),
        "mode": found.mode.value,
    }
    return await _page(
        request,
        admin,
        actor,
        status=status,
        form=form,
        chosen=list(found.topics),
        original=found.url,
        opened_as=source_fingerprint(entry_data(found)),
        **extra,
    )


async def _change(
    request: Request,
    admin: AdminDep,
    actor: EditorPage,
    change: Any,
    form: dict[str, Any] | None = None,
    chosen: list[str] | None = None,
    original: str | None = None,
    seen: str | None = None,
) -> Response:
    to_desk: list[ContentChanged] = []
    try:
        async with transaction(admin.runtime.sessions) as session:
            await catalogue.edit_sources(
                session,
                change,
                actor=actor.principal.name,
                client=actor.client,
                now=admin.runtime.clock.now(),
                desk_pushed=to_desk,
            )
    except EditRefused as exc:
        if exc.key == "source_changed_meanwhile" and original is not None:
            # The form shows the source as the other editor saved it, to make the change again.
            return await _edit_page(request, admin, actor, original, status=409, error=exc.key)
        extra: dict[str, Any] = {"error": exc.key, "detail": exc.detail or None}
    except CatalogueError as exc:
        # Each problem in the page's language; the English lines only where none is known.
        extra = {
            "error": "catalogue_refused",
            "problems": exc.problems,
            "detail": None if exc.problems else str(exc),
        }
    else:
        return _saved(request, admin, actor, to_desk)
    if form is not None:
        extra.update(form=form, chosen=chosen or [], original=original, opened_as=seen or "")
    return await _page(request, admin, actor, status=400, **extra)


def _saved(
    request: Request, admin: AdminDep, actor: EditorPage, to_desk: list[ContentChanged]
) -> RedirectResponse:
    """Lead a save back to the list, by a redirect so a reload does not send the form again.

    Taken out of review mode, the pushes waiting for its page went to the desk: the list the
    redirect leads to tells the editor so, from a notice signed for them (desk_notice), as the
    save's own answer would be sent again by a reload, and then move nothing and say nothing.
    """
    query = [(k, v) for k, v in parse_qsl(request.url.query) if k != desk_notice.PARAMETER]
    if to_desk:
        minor = sum(1 for change in to_desk if change.minor)  # recorded, alerting nobody
        notice = desk_notice.signed(
            admin.runtime.settings.secret_key,
            actor.principal.name,
            OnDesk(waiting=len(to_desk) - minor, minor=minor),
            admin.runtime.clock.now(),
        )
        query.append((desk_notice.PARAMETER, notice))
    target = f"/admin/sources?{urlencode(query)}" if query else "/admin/sources"
    return RedirectResponse(target, 303)


@router.post("/sources", response_class=HTMLResponse)
async def add_source(request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """Add a source, or save an edited one (``original`` names it); a wrong field is a 400
    naming it, and nothing changes."""
    form = await read_form(request)
    fields = await posted_form(request, admin, SOURCE_FIELD_LIMITS)
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    chosen = [str(t) for t in form.getlist("topics")][:100]
    entry: dict[str, Any] = {
        "url": fields.get("url", "").strip(),
        "kind": fields.get("kind", ""),
        "topics": chosen,
        "interval": fields.get("interval", "").strip() or "15m",
    }
    if selector := fields.get("selector", "").strip():
        entry["selector"] = selector
    # A wrong mode is refused by the catalogue's check, naming the field, like any other.
    entry["mode"] = fields.get("mode", "") or ReviewMode.AUTOMATIC.value
    if ignore := ignore_patterns(fields.get("ignore", "")):
        entry["ignore"] = list(ignore)
    shown = {
        k: fields.get(k, "") for k in ("url", "kind", "interval", "selector", "ignore", "mode")
    }

    original = fields.get("original") or None
    # The fingerprint of the source when the edit form was opened; none on an older form.
    seen = fields.get("seen") or None

    async def again(status: int = 200, **extra: Any) -> HTMLResponse:
        """Show the page with the form as the editor left it."""
        return await _page(
            request,
            admin,
            actor,
            status=status,
            form=shown,
            chosen=chosen,
            original=original,
            opened_as=seen or "",
            **extra,
        )

    if fields.get("action") == "test":
        # Nothing is saved: the editor sees what varsel would see, the form as they left it.
        outcome = await try_and_record(
            admin,
            actor,
            entry["url"],
            entry["kind"],
            entry.get("selector", ""),
            ignore_patterns(fields.get("ignore", "")),
        )
        return await again(
            outcome.status,
            errors={outcome.field: outcome.error} if outcome.field else {},
            tested=True,
            trial=outcome.trial,
            trial_error=outcome.error,
            trial_detail=outcome.detail,
        )

    current = await _stored_catalogue(admin)
    allow_private = admin.runtime.settings.allow_private_addresses
    if errors := source_field_errors(entry, current.slugs, allow_private=allow_private):
        for field, error in errors.items():
            if error.endswith("_bidi_control"):
                # Shown in the order it is stored, for the editor to check (ADR 0023).
                shown[field] = without_bidi_controls(shown[field])
        return await again(400, errors=errors)
    # Another address makes it another source: saving removes this one, which withdraws its
    # changes on the desk (and, a review source's, the pushes waiting for its page) for good,
    # so the editor is asked first, as Remove asks.
    if (
        original is not None
        and entry["url"] != original
        and fields.get("withdraw") != "yes"
        and (moving := await _waiting_of(admin, original))
    ):
        return await again(moving=moving)

    resent = original is None and await catalogue.sent_again(admin.runtime.sessions, fields)

    def add(rows: SourceRows) -> SourceRows:
        # The same page under another spelling (host in capitals, a fragment, a trailing slash,
        # a tracker) would be polled twice, and each of its changes mailed to everyone twice.
        page = page_of(entry["url"])
        if resent and any(_same_source(row, entry) for row in rows):
            # This very source was added since the form was opened: it was sent twice (a
            # double press, a reload). Done already, and nothing is changed.
            return rows
        for row in rows:
            if row["url"] != original and page_of(row["url"]) == page:
                raise EditRefused("source_taken", "url", row["url"])
        if original is None:
            return [*rows, entry]
        stored = next((row for row in rows if row["url"] == original), None)
        if stored is None:
            raise EditRefused("source_not_found", None, original)
        if seen is not None and source_fingerprint(stored) != seen:
            # Saved by another editor since this form was opened: saving it would undo theirs
            # unseen (a source put in review mode back to automatic, say).
            raise EditRefused("source_changed_meanwhile")
        # An edit keeps the source's place and whether it is paused.
        return [{**entry, **_paused(row)} if row["url"] == original else row for row in rows]

    return await _change(request, admin, actor, add, shown, chosen, original, seen)


def _same_source(row: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Tell whether a stored source's row says exactly what ``entry`` says."""
    if row["url"] != entry["url"]:
        return False
    try:
        return Source.model_validate(row, context=STORED) == Source.model_validate(entry)
    except ValidationError:
        return False


def _paused(row: dict[str, Any]) -> dict[str, Any]:
    return {"paused": True} if row.get("paused") else {}


def _one(url: str, edit: Any) -> Any:
    def change(rows: SourceRows) -> SourceRows:
        if not any(row["url"] == url for row in rows):
            raise EditRefused("source_not_found", None, url)
        return [r for r in (edit(row) if row["url"] == url else row for row in rows) if r]

    return change


@router.post("/sources/pause", response_class=HTMLResponse)
async def pause_source(request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """Pause a source (kept, not polled) or resume it."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    paused = fields.get("paused") == "true"

    def toggle(row: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in row.items() if k != "paused"}
        return {**rest, "paused": True} if paused else rest

    return await _change(request, admin, actor, _one(fields.get("url", ""), toggle))


@router.post("/sources/remove", response_class=HTMLResponse)
async def remove_source(request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """Remove a source from the catalogue: it is polled no more. If changes of it wait on the
    desk (or pushes for a review source's page), the editor is asked first, as removing
    withdraws them for good."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    url = fields.get("url", "")
    stored = {s.url for s in (await _stored_catalogue(admin)).sources}
    if (
        fields.get("withdraw") != "yes"
        and url in stored
        and (removing := await _waiting_of(admin, url))
    ):
        return await _page(request, admin, actor, removing=removing)
    return await _change(request, admin, actor, _one(url, lambda _: None))


async def _waiting_of(admin: AdminDep, url: str) -> dict[str, Any] | None:
    """Count the source's changes on the desk and, for a review source, the pushes that wait
    for its page: removing it withdraws them for good. None when there are none. (Pushes for
    any other source's page are sent as they came, as pausing sends them: nothing to ask.)"""
    async with admin.runtime.sessions() as session:
        waiting = await mailer.waiting_of_source(session, url)
        current = (await catalogue_rows.load(session)).catalogue
        leaving = await catalogue.pushes_leaving(session, current, paused=(), removed=[url])
    pushed = len(leaving.withdrawn)
    return {"url": url, "waiting": waiting, "pushed": pushed} if waiting or pushed else None
