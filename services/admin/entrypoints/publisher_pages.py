"""The operator's page of publisher tokens: issue one for a CMS (shown once), revoke one.

Every issue and revocation is in the audit log, by the token's number and name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.admin import publishing
from services.admin.entrypoints.access import Actor, AdminDep, OperatorPage, posted_form
from shared.db import transaction

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = "publishers.html"


async def _render(
    request: Request, admin: AdminDep, actor: Actor, status_code: int = 200, **context: Any
) -> HTMLResponse:
    async with transaction(admin.runtime.sessions) as session:
        tokens = await publishing.listed(session)
    context = {"error": None, "outcome": None, "issued": None, "name": "", **context}
    return admin.render(
        request,
        PAGE,
        status_code=status_code,
        actor=actor.principal,
        tokens=tokens,
        max_name=publishing.NAME_LIMIT,
        **context,
    )


@router.get("/publishers", response_class=HTMLResponse)
async def publishers(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """List the publisher tokens: name, who issued it, when, last use, revoked or live."""
    return await _render(request, admin, actor)


@router.post("/publishers", response_class=HTMLResponse)
async def issue(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Issue a publisher token and show it this once."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _render(request, admin, actor, 400, error="bad_form")
    name = fields.get("name", "")
    now = admin.runtime.clock.now()
    try:
        async with transaction(admin.runtime.sessions) as session:
            number, token = await publishing.issue(session, name, actor.principal.name, now)
            actor.record(
                session,
                "publisher_token_issued",
                target=str(number),
                details={"name": publishing.token_name(name)},
            )
    except publishing.TokenNameRefused:
        return await _render(request, admin, actor, 400, error="token_name", name=name)
    return await _render(request, admin, actor, outcome="token_issued", issued=token)


@router.post("/publishers/revoke", response_class=HTMLResponse)
async def revoke(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Revoke a publisher token: the next push with it is refused."""
    fields = await posted_form(request, admin)
    number = (fields or {}).get("token", "")
    if fields is None or not number.isdigit() or len(number) > 9:
        return await _render(request, admin, actor, 400, error="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        name = await publishing.revoke(session, int(number), admin.runtime.clock.now())
        if name is not None:
            actor.record(session, "publisher_token_revoked", target=number, details={"name": name})
    if name is None:
        return await _render(request, admin, actor, 404, error="token_not_found")
    return await _render(request, admin, actor, outcome="token_revoked")
