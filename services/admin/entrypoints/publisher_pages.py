"""The operator's page of publisher tokens: issue one for a CMS, revoke one.

The issue form carries a value of its own (``publishing.form_nonce``) from which the token it
issues is made: sent twice, it issues one token, and the second answer shows the same one.
A token named as another live one is issued with a warning, as on the command line: tokens of
one name share idempotency keys and the hourly limit (``publishing.namesakes``).

Every issue and revocation is in the audit log, by the token's number and name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError

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
    context = {
        "error": None,
        "outcome": None,
        "issued": None,
        "namesakes": 0,
        "name": "",
        # A fresh one each time the form is shown: it issues one token however often it is sent.
        "form_nonce": publishing.form_nonce(),
        **context,
    }
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
    """Issue a publisher token and show it; the same form sent again (a double press, a
    reload) issues nothing more and shows the token it issued. The list never shows one."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _render(request, admin, actor, 400, error="bad_form")
    name = fields.get("name", "")
    nonce = fields.get("form_nonce", "")
    wanted = None
    if publishing.is_form_nonce(nonce):
        secret = admin.runtime.settings.secret_key
        wanted = publishing.form_token(secret, actor.principal.name, nonce)
    try:
        try:
            token, namesakes = await _issue_once(admin, actor, name, wanted)
        except IntegrityError:
            if wanted is None:
                raise
            # Sent twice at once: the other request stored this form's token first.
            token, namesakes = await _issue_once(admin, actor, name, wanted)
    except publishing.TokenNameNoncharacter:
        return await _render(request, admin, actor, 400, error="token_name_noncharacter", name=name)
    except publishing.TokenNameRefused:
        return await _render(request, admin, actor, 400, error="token_name", name=name)
    except publishing.FormSpent:
        return await _render(request, admin, actor, 409, error="token_form_spent")
    return await _render(
        request,
        admin,
        actor,
        outcome="token_issued",
        issued=token,
        namesakes=len(namesakes),
        kept_name=publishing.token_name(name),
    )


async def _issue_once(
    admin: AdminDep, actor: Actor, name: str, wanted: str | None
) -> tuple[str, list[int]]:
    """Issue the token a form asks for, unless that form issued it already; return it and the
    numbers of the other live tokens of its name."""
    async with transaction(admin.runtime.sessions) as session:
        namesakes = await publishing.namesakes(session, name)
        if wanted is not None:
            before = await publishing.issued_before(session, wanted)
            if before is not None:
                # Issued, and in the audit log, when the form was first sent.
                return wanted, [n for n in namesakes if n != before]
        now = admin.runtime.clock.now()
        number, token = await publishing.issue(session, name, actor.principal.name, now, wanted)
        actor.record(
            session,
            "publisher_token_issued",
            target=str(number),
            details={"name": publishing.token_name(name)},
        )
    return token, namesakes


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
