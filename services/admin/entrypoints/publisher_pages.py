"""The operator's page of publisher tokens: issue one for a CMS, revoke one.

The issue form carries a value of its own (``publishing.form_nonce``) from which the token it
issues is made: sent twice, it issues one token, and the second answer shows the same one.
A token named as another live one is issued with a warning, as on the command line: tokens of
one name share idempotency keys and the hourly limit (``publishing.namesakes``).

A token names the sites it may push for (ADR 0024); one issued before tokens had sites opens
every site, and the list marks it with a link that opens this form with its name, to replace it.

Every issue and revocation is in the audit log, by the token's number and name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError

from services.admin import publishing
from services.admin.domain import publisher_sites
from services.admin.entrypoints.access import Actor, AdminDep, OperatorPage, posted_form
from services.admin.entrypoints.typed_numbers import typed_number
from shared.carried_text import without_bidi_controls
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
        "sites": "",
        "refused_site": "",
        # A fresh one each time the form is shown: it issues one token however often it is sent.
        "form_nonce": publishing.form_nonce(),
        **context,
    }
    return admin.render(
        request,
        PAGE,
        status_code=status_code,
        actor=actor.principal,
        tokens=[(t, publishing.sites_of(t)) for t in tokens],
        unscoped=sum(t.revoked_at is None and publishing.sites_of(t) is None for t in tokens),
        max_name=publishing.NAME_LIMIT,
        max_sites=publisher_sites.SITES_LIMIT,
        **context,
    )


@router.get("/publishers", response_class=HTMLResponse)
async def publishers(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """List the publisher tokens: name, sites, who issued it, when, last use, revoked or live.

    ``?replace=<number>`` fills the form with that token's name, to issue its replacement.
    """
    replaced = request.query_params.get("replace", "")
    name = ""
    if (number := typed_number(replaced, 9)) is not None:
        async with transaction(admin.runtime.sessions) as session:
            name = next((t.name for t in await publishing.listed(session) if t.id == number), "")
    return await _render(request, admin, actor, name=name)


@router.post("/publishers", response_class=HTMLResponse)
async def issue(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Issue a publisher token and show it; the same form sent again (a double press, a
    reload) issues nothing more and shows the token it issued. The list never shows one."""
    fields = await posted_form(request, admin)
    if fields is None:
        return await _render(request, admin, actor, 400, error="bad_form")
    name, typed_sites = fields.get("name", ""), fields.get("sites", "")
    nonce = fields.get("form_nonce", "")
    wanted = None
    if publishing.is_form_nonce(nonce):
        secret = admin.runtime.settings.secret_key
        wanted = publishing.form_token(secret, actor.principal.name, nonce)
    refused: dict[str, str] = {}
    try:
        publishing.check_name(name)  # the fields in the order the form shows them
        sites = publisher_sites.sites(typed_sites)
        try:
            token, namesakes = await _issue_once(admin, actor, name, sites, wanted)
        except IntegrityError:
            if wanted is None:
                raise
            # Sent twice at once: the other request stored this form's token first.
            token, namesakes = await _issue_once(admin, actor, name, sites, wanted)
    except publishing.TokenNameNoncharacter:
        refused = {"error": "token_name_noncharacter"}
    except publishing.TokenNameBidiControl:
        # Shown in the order it is stored, for the operator to check (ADR 0023).
        refused, name = {"error": "token_name_bidi_control"}, without_bidi_controls(name)
    except publishing.TokenNameRefused:
        refused = {"error": "token_name"}
    except publisher_sites.SiteRefused as exc:
        refused = {"error": exc.reason, "refused_site": exc.typed}
    except publishing.FormSpent:
        return await _render(request, admin, actor, 409, error="token_form_spent")
    if refused:
        return await _render(request, admin, actor, 400, name=name, sites=typed_sites, **refused)
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
    admin: AdminDep, actor: Actor, name: str, sites: tuple[str, ...], wanted: str | None
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
        number, token = await publishing.issue(
            session, name, actor.principal.name, now, wanted, sites=sites
        )
        actor.record(
            session,
            "publisher_token_issued",
            target=str(number),
            details={"name": publishing.token_name(name), "sites": list(sites)},
        )
    return token, namesakes


@router.post("/publishers/revoke", response_class=HTMLResponse)
async def revoke(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Revoke a publisher token: the next push with it is refused."""
    fields = await posted_form(request, admin)
    typed = (fields or {}).get("token", "")
    number = typed_number(typed, 9)
    if fields is None or number is None:
        return await _render(request, admin, actor, 400, error="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        name = await publishing.revoke(session, number, admin.runtime.clock.now())
        if name is not None:
            actor.record(session, "publisher_token_revoked", target=typed, details={"name": name})
    if name is None:
        return await _render(request, admin, actor, 404, error="token_not_found")
    return await _render(request, admin, actor, outcome="token_revoked")
