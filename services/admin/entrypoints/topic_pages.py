"""Editor pages for the catalogue's topics: create one, edit its texts and links, end it.

Each change goes through ``catalogue.edit``: checked field by field here (a 400 with the reason
beside the field), then as a whole file would be, and applied in one transaction with its event
(every replica follows within seconds) and audit entry. A refused change changes nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.admin import catalogue
from services.admin.adapters import accounts, catalogue_rows
from services.admin.domain import topic_edits
from services.admin.domain.topic_edits import EditRefused, Rows
from services.admin.domain.topic_form import (
    EDITORS_LENGTH,
    PAGE_LENGTH,
    SLUG_LENGTH,
    TEXTS,
    read_topic_form,
)
from services.admin.entrypoints.access import AdminDep, EditorPage, language_of, posted_form
from services.admin.entrypoints.topic_titles import shown_title
from shared.catalogue_checks import CatalogueError
from shared.catalogue_entries import Catalogue, Topic
from shared.catalogue_file import entry_data
from shared.catalogue_problems import Problem
from shared.db import transaction
from shared.vocabulary import LANGUAGES
from shared.web.forms import read_form

router = APIRouter(prefix="/admin", include_in_schema=False)
# The accounts a topic may name as the editors its review reminders go to.
EDITING_ROLES = ("editor", "operator")


def _form_of(topic: Topic) -> dict[str, str]:
    """Return a stored topic as the form's fields."""
    fields = {"slug": topic.slug, "page": topic.page or "", "editors": ", ".join(topic.editors)}
    for name, texts in (
        ("title", topic.title),
        ("section", topic.section or {}),
        ("description", topic.description),
    ):
        fields.update({f"{name}_{language}": texts.get(language, "") for language in LANGUAGES})
    return fields


async def _stored(admin: AdminDep) -> Catalogue:
    async with admin.runtime.sessions() as session:
        return (await catalogue_rows.load(session)).catalogue


async def _staff_names(admin: AdminDep) -> list[str]:
    async with admin.runtime.sessions() as session:
        return [u.name for u in await accounts.all_users(session) if u.role in EDITING_ROLES]


async def _page(
    request: Request,
    admin: AdminDep,
    actor: EditorPage,
    *,
    status: int = 200,
    editing: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    current = await _stored(admin)
    language = language_of(request)
    edited = current.topic(editing) if editing else None
    context: dict[str, Any] = {
        "catalogue_version": await catalogue.version_now(admin.runtime.sessions),
        "error": None,
        "detail": None,
        "problems": (),
        "errors": {},
        "form": _form_of(edited) if edited else {},
        "chosen": list(edited.related) if edited else [],
        "seen": topic_edits.fingerprint(entry_data(edited)) if edited else "",
        "retire_errors": {},
        "successor": "",
    }
    context.update(extra)
    return admin.render(
        request,
        "topics.html",
        status_code=status,
        actor=actor.principal,
        topics=[(t, t.title_in(language), t.section_in(language)) for t in current.topics],
        ended=[
            (t, t.title_in(language), current.topic(t.successor) if t.successor else None)
            for t in current.ended
        ],
        languages=LANGUAGES,
        limits={**TEXTS, "slug": SLUG_LENGTH, "page": PAGE_LENGTH, "editors": EDITORS_LENGTH},
        editing=edited.slug if edited else None,
        edited_title=shown_title(edited, language) if edited else None,
        **context,
    )


@router.get("/topics", response_class=HTMLResponse)
async def topics(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """List the topics, with the form that creates one (or edits ``?edit=``, and ends it)."""
    editing = request.query_params.get("edit")
    if editing is None:
        return await _page(request, admin, actor)
    if (await _stored(admin)).topic(editing) is None:
        return await _page(request, admin, actor, status=404, error="topic_not_found")
    return await _page(request, admin, actor, editing=editing)


async def _change(
    admin: AdminDep, actor: EditorPage, change: Any
) -> tuple[str, str | None, str | None, tuple[Problem, ...]] | None:
    """Apply a change; return why it was refused (message key, field, detail and the
    catalogue's problems, each for the page to word), or None."""
    try:
        async with transaction(admin.runtime.sessions) as session:
            await catalogue.edit(
                session,
                change,
                actor=actor.principal.name,
                client=actor.client,
                now=admin.runtime.clock.now(),
                origin="the admin's topic form",
            )
    except EditRefused as exc:
        return exc.key, exc.field, exc.detail or None, ()
    except CatalogueError as exc:
        # What the form's own checks let through and the whole catalogue refuses: each
        # problem in the page's language, the English lines only where none is known.
        return "catalogue_refused", None, None if exc.problems else str(exc), exc.problems
    return None


def _stored_as(current: Catalogue, entry: dict[str, Any]) -> bool:
    """Tell whether a topic people can follow is stored exactly as ``entry`` says."""
    stored = current.topic(entry["slug"])
    try:
        return stored is not None and stored == Topic.model_validate(entry)
    except ValidationError:
        return False


async def _ended(
    request: Request, admin: AdminDep, actor: EditorPage, slug: str
) -> HTMLResponse | None:
    """Say that the topic a form names was ended (by whom and when, as far as known), if it
    was: "no such topic" would leave the editor guessing, and looking for it."""
    async with admin.runtime.sessions() as session:
        ending = await catalogue.ending_of(session, slug)
    if ending is None:
        return None
    said = {"actor": ending.actor, "time": ending.at.strftime("%Y-%m-%d %H:%M UTC")}
    key = "topic_ended_by" if ending.actor else "topic_ended"
    return await _page(request, admin, actor, status=409, error=key, said=said)


def _done(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse(f"/admin/topics?{query}" if query else "/admin/topics", 303)


@router.post("/topics", response_class=HTMLResponse)
async def save_topic(request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """Create a topic, or save an edited one (``original`` names it); each wrong field is a 400
    with its reason beside it, and nothing changes."""
    form = await read_form(request)
    # The page's address may be as long as its field says (2,000), not the 1,000 of other fields.
    fields = await posted_form(request, admin, {"page": PAGE_LENGTH})
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    editing = fields.get("original") or None
    current = await _stored(admin)
    if editing is not None and current.topic(editing) is None:
        ended = await _ended(request, admin, actor, editing)
        return ended or await _page(request, admin, actor, status=400, error="topic_not_found")
    read = read_topic_form(
        fields,
        [str(r) for r in form.getlist("related")],
        editing=editing,
        followed=current.slugs,
        taken=[t.slug for t in (*current.topics, *current.ended)],
        staff=await _staff_names(admin),
    )
    if (
        editing is None
        and read.errors == {"slug": "slug_taken"}
        and await catalogue.sent_again(admin.runtime.sessions, fields)
        and _stored_as(current, read.entry)
    ):
        # This very topic was added since the form was opened: it was sent twice (a double
        # press, a reload). Done already; "choose another short name" would make a second one.
        return _done(request)
    seen = fields.get("seen") or None
    # Shown again after a wrong field, the form still stands for the topic it was opened on.
    shown: dict[str, Any] = {"form": read.shown, "chosen": list(read.related), "seen": seen or ""}
    if read.errors:
        return await _page(
            request,
            admin,
            actor,
            status=400,
            editing=editing,
            errors=read.errors,
            named=read.named,
            **shown,
        )

    def change(rows: Rows) -> Rows:
        if editing is None:
            return topic_edits.add_topic(rows, read.entry)
        return topic_edits.replace_topic(rows, read.entry, seen)

    refused = await _change(admin, actor, change)
    if refused is not None:
        key, field, detail, problems = refused
        if key == "topic_changed_meanwhile":  # the form shows the topic as it is now
            return await _page(request, admin, actor, status=409, editing=editing, error=key)
        if (
            key == "topic_not_found"  # ended a moment ago
            and editing is not None
            and (ended := await _ended(request, admin, actor, editing))
        ):
            return ended
        return await _page(
            request,
            admin,
            actor,
            status=400,
            editing=editing,
            error=key,
            detail=detail,
            problems=problems,
            errors={field: key} if field else {},
            **shown,
        )
    return _done(request)


@router.post("/topics/retire", response_class=HTMLResponse)
async def retire_topic(request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """End a topic: its followers get one last mail naming what to follow instead, and its
    sign-up page and feed answer 410."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _page(request, admin, actor, status=400, error="bad_form")
    slug = fields.get("slug", "")
    successor = fields.get("successor", "") or None
    if (await _stored(admin)).topic(slug) is None:
        ended = await _ended(request, admin, actor, slug)
        return ended or await _page(request, admin, actor, status=400, error="topic_not_found")
    kept = {"editing": slug, "successor": successor or ""}
    if fields.get("confirm") != "yes":
        errors = {"confirm": "confirm_retire"}
        return await _page(request, admin, actor, status=400, retire_errors=errors, **kept)
    retire = partial(topic_edits.retire_topic, slug=slug, successor=successor)
    refused = await _change(admin, actor, retire)
    if refused is not None:
        key, field, detail, problems = refused
        if key == "topic_not_found" and (ended := await _ended(request, admin, actor, slug)):
            return ended
        errors = {field: key} if field else {}
        return await _page(
            request,
            admin,
            actor,
            status=400,
            error=key,
            detail=detail,
            problems=problems,
            retire_errors=errors,
            **kept,
        )
    return _done(request)
