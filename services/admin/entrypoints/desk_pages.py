"""The editor's desk: changes of sources in review mode, and the editor's decision on each.

The mailer holds the changes and takes the decisions (its ``read_api`` and ``command_api``,
docs/decisions/0014); this page shows what an editor needs to decide (the side-by-side diff,
the generated summary, the page's dates, how many people it would reach now) and records each
decision in the audit log in the transaction that takes it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.entrypoints.access import Actor, AdminDep, EditorPage, language_of, posted_form
from services.admin.entrypoints.diffview import diff_lines, side_by_side
from services.admin.entrypoints.typed_numbers import typed_number
from services.admin.entrypoints.wording import ENDED_TOPIC
from services.mailer import command_api as mailer_commands
from services.mailer import read_api as mailer
from services.subscriptions import read_api as subscriptions
from services.watcher import read_api as watcher
from shared.carried_text import without_bidi_controls
from shared.vocabulary import Frequency

router = APIRouter(prefix="/admin", include_in_schema=False)
DECISIONS = {d.value: d for d in mailer_commands.Decision}
# Refusals of a decision and the status they answer with.
_REFUSAL_STATUS = {
    "already_decided": 409,
    "decided_by_you": 409,
    "source_removed": 409,
    "not_found": 404,
    "note_too_long": 400,
    "note_noncharacter": 400,
    "note_bidi_control": 400,
}
# What the note field may carry: a browser sends each line break as two characters, and the
# mailer counts the cleaned note against MAX_NOTE, refusing a longer one with the note kept.
_NOTE_FIELD = 2 * mailer_commands.MAX_NOTE


def _change_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


@router.get("/desk", response_class=HTMLResponse)
async def desk(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """List the changes waiting for review, the longest waiting first, and the last decisions."""
    async with admin.runtime.sessions() as session:
        waiting = await mailer.changes_on_desk(session)
        decided = await mailer.recent_decisions(session)
    return admin.render(
        request,
        "desk.html",
        actor=actor.principal,
        waiting=waiting,
        decided=decided,
        topic_title=_topic_titles(admin, request),
    )


@router.get("/desk/{change_id}", response_class=HTMLResponse)
async def desk_change(
    change_id: str, request: Request, admin: AdminDep, actor: EditorPage
) -> HTMLResponse:
    """Show one change with what an editor needs to decide, and the decision form."""
    return await _change_page(request, admin, actor, change_id)


@router.post("/desk/{change_id}", response_class=HTMLResponse)
async def decide(change_id: str, request: Request, admin: AdminDep, actor: EditorPage) -> Response:
    """Approve, hold or mark minor a change, if it is still at the version the editor saw."""
    raw_id, wanted = change_id, _change_id(change_id)
    fields = await posted_form(request, admin, limits={"note": _NOTE_FIELD})
    if fields is None:
        return await _change_page(request, admin, actor, raw_id, status=400, error="bad_form")
    decision = DECISIONS.get(fields.get("decision", ""))
    version = fields.get("version", "")
    note = fields.get("note", "")
    if wanted is None:
        return await _change_page(request, admin, actor, raw_id, status=404)
    if decision is None:
        return await _change_page(
            request, admin, actor, raw_id, status=400, error="unknown_choice", note=note
        )
    seen = typed_number(version, 9)
    if seen is None:
        return await _change_page(
            request, admin, actor, raw_id, status=400, error="bad_form", note=note
        )

    def audit(session: AsyncSession, decided: mailer_commands.Decided) -> None:
        actor.record(
            session,
            f"change_{decided.status.value}",
            target=str(decided.change_id),
            details={"version": decided.version},
        )

    try:
        await mailer_commands.decide_change(
            admin.runtime,
            wanted,
            decision,
            version=seen,
            note=note,
            actor=actor.principal.name,
            audit=audit,
        )
    except mailer_commands.ReviewRefused as refused:
        await _record_refusal(admin, actor, wanted, refused.reason)
        reason = "change_not_found" if refused.reason == "not_found" else refused.reason
        if reason == "note_bidi_control":
            # Shown in the order it is stored, for the editor to check (ADR 0023).
            note = without_bidi_controls(note)
        return await _change_page(
            request,
            admin,
            actor,
            raw_id,
            status=_REFUSAL_STATUS.get(refused.reason, 400),
            error=reason,
            note=note,
        )
    query = request.url.query
    return RedirectResponse(
        f"/admin/desk/{wanted}?{query}" if query else f"/admin/desk/{wanted}", 303
    )


async def _record_refusal(admin: AdminDep, actor: Actor, change_id: uuid.UUID, reason: str) -> None:
    # A decision that lost a race is an action too: the log shows who tried what, and when.
    async with admin.runtime.sessions() as session, session.begin():
        actor.record(
            session, "change_decision_refused", target=str(change_id), details={"reason": reason}
        )


async def _change_page(
    request: Request,
    admin: AdminDep,
    actor: EditorPage,
    raw_id: str,
    *,
    status: int = 200,
    error: str | None = None,
    note: str | None = None,
) -> HTMLResponse:
    change_id = _change_id(raw_id)
    async with admin.runtime.sessions() as session:
        change = await mailer.change_on_desk(session, change_id) if change_id else None
        if change is None:
            return admin.render(
                request,
                "forbidden.html",
                status_code=404,
                actor=actor.principal,
                message="change_not_found",
            )
        # Who an approval would alert: a topic that ended while the change waited is not told
        # (the mailer's approval leaves it out), so its followers are not counted.
        catalogue = admin.runtime.catalogue
        told = [t for t in change.topics if catalogue.ended_topic(t) is None]
        reach = await subscriptions.reach_by_frequency(session, told)
        unified = await watcher.change_diff(session, change.diff_url)
    # A refused note is named beside its field, which the summary links to (WCAG 3.3.1).
    errors = {"note": error} if error and error.startswith("note_") else {}
    context: dict[str, Any] = {
        "actor": actor.principal,
        "change": change,
        "error": None if errors else error,
        "errors": errors,
        "note": note if note is not None else (change.note or change.summary),
        "reach": [(f.value, reach.get(f.value, 0)) for f in Frequency],
        "reach_total": sum(reach.values()),
        "rows": side_by_side(diff_lines(unified)) if unified is not None else None,
        "topic_title": _topic_titles(admin, request),
        "max_note": mailer_commands.MAX_NOTE,
    }
    return admin.render(request, "desk_change.html", status_code=status, **context)


def _topic_titles(admin: AdminDep, request: Request) -> Any:
    language = language_of(request)
    words = admin.words[language]

    def title(slug: str) -> str:
        catalogue = admin.runtime.catalogue
        if (topic := catalogue.topic(slug)) is not None:
            return topic.title_in(language)
        # A topic that ended while the change waited: nobody follows it any more.
        if (ended := catalogue.ended_topic(slug)) is not None:
            return words.gettext(ENDED_TOPIC, title=ended.title_in(language))
        return slug

    return title
