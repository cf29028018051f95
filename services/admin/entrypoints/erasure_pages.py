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
from shared.addresses import InvalidAddress, normalise_address
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
        errors={},
        outcome=None,
        max_reason=subscriptions.MAX_REASON,
    )


def _field_errors(address: str, reason: str) -> dict[str, str]:
    """Return each wrong field's refusal (a key of ``messages``), all of them at once."""
    errors: dict[str, str] = {}
    try:
        normalise_address(address)
    except InvalidAddress:
        errors["address"] = "invalid_address"
    if not reason:
        errors["reason"] = "missing_reason"
    elif len(reason) > subscriptions.MAX_REASON:
        # Kept whole in the ledger and the audit log alike, or not at all: never cut short.
        errors["reason"] = "reason_too_long"
    elif redact(reason) != reason:
        errors["reason"] = "reason_has_address"
    elif bidi_control_in(reason) is not None:
        errors["reason"] = "reason_has_bidi_control"
    return errors


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
        "errors": {},
        # The values the refusals name: a field's (``named``), the page's (``said``).
        "named": {"reason": {"limit": subscriptions.MAX_REASON}},
        "said": {},
    }

    def refuse(status: int, error: str | None) -> HTMLResponse:
        return admin.render(request, "erasure.html", status_code=status, error=error, **context)

    action = ACTIONS.get((fields or {}).get("action", ""))
    if fields is None:
        return refuse(400, "bad_form")
    if action is None:
        return refuse(400, "unknown_choice")
    reason = " ".join(context["reason"].split())
    context["errors"] = _field_errors(context["address"], reason)
    if context["errors"]:
        if context["errors"].get("reason") == "reason_has_bidi_control":
            # As a noncharacter is (ADR 0023): the field comes back without it, to check and send.
            context["reason"] = without_bidi_controls(context["reason"])
        return refuse(400, None)

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
        # Checked above as sign-up checks it; kept should the two rules ever part.
        context["errors"] = {"address": "invalid_address"}
        return refuse(422, None)
    if not done.found:
        # Erased a moment ago (the form sent twice) or long ago: say so, and when, rather than
        # that the address was never held, which reads as if the erasure had failed.
        erased_at = await _erased_at(admin, done.subject)
        if erased_at is not None:
            context["said"] = {"time": erased_at.strftime("%Y-%m-%d %H:%M UTC")}
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
