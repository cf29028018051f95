"""The page where the organisation ends a person's alerts or erases them, when the person asks
by letter or phone: a data-protection officer (or an operator) types the address and a reason.

The subscriptions service does the work (its ``command_api``); this page records who asked for
it and why in the audit log, under the ledger's keyed code, never the address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.entrypoints.access import AdminDep, DpoPage, posted_form
from services.subscriptions import command_api as subscriptions
from services.subscriptions import read_api as ledger_reads
from shared.carried_text import bidi_control_in, without_bidi_controls
from shared.logs import redact

router = APIRouter(prefix="/admin", include_in_schema=False)
ACTIONS = {a.value: a for a in subscriptions.OrganisationAction}


async def _erased_at(admin: AdminDep, subject: str) -> datetime | None:
    """Return when the ledger last says the person was erased, if that is its last step."""
    async with admin.runtime.sessions() as session:
        steps = await ledger_reads.timeline(session, subject)
    last = steps[-1].record if steps else None
    erased = last is not None and last.action == ledger_reads.ConsentAction.ERASED
    return last.occurred_at if last is not None and erased else None


@router.get("/erasure", response_class=HTMLResponse)
async def erasure_form(request: Request, admin: AdminDep, actor: DpoPage) -> HTMLResponse:
    """Show the form that ends a person's alerts or erases them."""
    return admin.render(
        request,
        "erasure.html",
        actor=actor.principal,
        address="",
        reason="",
        error=None,
        outcome=None,
        max_reason=subscriptions.MAX_REASON,
    )


@router.post("/erasure", response_class=HTMLResponse)
async def erasure(request: Request, admin: AdminDep, actor: DpoPage) -> HTMLResponse:
    """End a person's alerts or erase them, as the pressed button says; audit who and why."""
    fields = await posted_form(request, admin)
    context: dict[str, Any] = {
        "actor": actor.principal,
        "address": (fields or {}).get("address", ""),
        "reason": (fields or {}).get("reason", ""),
        "outcome": None,
        "max_reason": subscriptions.MAX_REASON,
    }

    def refuse(status: int, error: str) -> HTMLResponse:
        return admin.render(request, "erasure.html", status_code=status, error=error, **context)

    action = ACTIONS.get((fields or {}).get("action", ""))
    if fields is None:
        return refuse(400, "bad_form")
    if action is None:
        return refuse(400, "unknown_choice")
    reason = " ".join(context["reason"].split())
    if not reason:
        return refuse(400, "missing_reason")
    if len(reason) > subscriptions.MAX_REASON:
        # Kept whole in the ledger and the audit log alike, or not at all: never cut short.
        return refuse(400, "reason_too_long")
    if redact(reason) != reason:
        return refuse(400, "reason_has_address")
    if bidi_control_in(reason) is not None:
        # As a noncharacter is (ADR 0023): the field comes back without it, to check and send.
        context["reason"] = without_bidi_controls(context["reason"])
        return refuse(400, "reason_has_bidi_control")

    def audit(session: AsyncSession, done: subscriptions.Done) -> None:
        # In the step's own transaction: no erasure is kept without its audit entry.
        actor.record(
            session,
            f"organisation_{action.value}",
            target=done.subject,
            details={"reason": reason, "found": done.found, "ended": list(done.ended)},
        )

    try:
        done = await subscriptions.act_for_organisation(
            admin.runtime,
            context["address"],
            action,
            reason=reason,
            actor=actor.principal.name,
            audit=audit,
        )
    except subscriptions.InvalidAddress:
        return refuse(422, "invalid_address")
    if not done.found:
        # Erased a moment ago (the form sent twice) or long ago: say so, and when, rather than
        # that the address was never held, which reads as if the erasure had failed.
        erased_at = await _erased_at(admin, done.subject)
        if erased_at is not None:
            context["erased_at"] = erased_at.strftime("%Y-%m-%d %H:%M UTC")
            return refuse(404, "already_erased")
        return refuse(404, "person_not_found")
    # The address is not shown back: after an erasure the page must not keep it either.
    context["address"], context["reason"] = "", ""
    context["outcome"] = (
        "erased_by_organisation"
        if action is subscriptions.OrganisationAction.ERASE
        else "unsubscribed_by_organisation"
    )
    return admin.render(request, "erasure.html", error=None, subject=done.subject, **context)
