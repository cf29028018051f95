"""Routes that end alerts from a mail's link: the unsubscribe page and RFC 8058 one-click.

The unsubscribe page's buttons and the manage page's «End alerts» share ``end_or_erase``. Their
form carries the privacy notice the page named and the language it was read in, and the ledger
records the ending under exactly those, as it records a sign-up under the notice its page
showed (docs/privacy.md). Withdrawing consent must be as easy as giving it (GDPR art. 7(3)):
a press always ends the alerts or erases the address, also when the notice changed after the
page was opened (the ledger names the one the page showed) or the form names none the service
published (a page opened before forms named one, kept in a tab or a cache): then the ledger
names the one in force, marked as not shown (``handlers.ending_notice``). Why these forms need
no CSRF cookie: ``link_pages``. One-click shows no page and names no notice: it is recorded in
the person's own language, under the notice in force.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from services.subscriptions import handlers
from services.subscriptions.domain.model import Preferences
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.subscriptions.entrypoints.web import (
    SubscriptionsWeb,
    Web,
    chosen_language,
    field,
    no_unsubscribe,
    pressed,
    shown_notice,
)
from services.subscriptions.entrypoints.wording import FORM_NOT_VALID
from shared.tokens import Purpose
from shared.web.forms import read_form

router = APIRouter()

# The two buttons of the end-alerts form (templates/_end_alerts.html), milder first.
END_ALL: str = "unsubscribe_all"
ERASE: str = "erase"


async def end_or_erase(
    web: SubscriptionsWeb,
    request: Request,
    token: str,
    action: str,
    page: handlers.PageShown,
    *,
    purposes: tuple[Purpose, ...],
    route: UnsubscribeRoute,
) -> HTMLResponse:
    """End all alerts (``END_ALL``) or erase (``ERASE``), recorded under the notice the page
    showed, and answer the page that says so."""
    if action == ERASE:
        ended = await handlers.erase(
            web.uow(), web.deps, token, purposes=purposes, route=route, page=page
        )
        template = "erased.html"
    else:
        ended = await handlers.unsubscribe(
            web.uow(), web.deps, token, purposes=purposes, topics=None, route=route, page=page
        )
        template = "unsubscribed.html"
    if ended is None:
        # Erased by this link a moment ago (a second press of the button) or long since.
        return await no_unsubscribe(web, request, token, purposes)
    # In the language the page was read in (``?lang=``), else the person's.
    return web.pages.render(request, template, chosen_language(request, ended.language), csrf=False)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show the buttons that end all alerts or also delete the address."""
    person = await handlers.preferences(web.uow(), web.deps, token, ("unsubscribe",))
    if person is None:
        return await no_unsubscribe(web, request, token)
    return _unsubscribe_page(web, request, token, person)


def _unsubscribe_page(
    web: SubscriptionsWeb,
    request: Request,
    token: str,
    person: Preferences,
    *,
    error: str | None = None,
) -> HTMLResponse:
    """Render the unsubscribe page in the language asked for, else the person's, naming the
    privacy notice an ending is recorded under; a person with no alerts open is offered only
    the erasure. With ``error``: a post refused, changing nothing (400)."""
    language = chosen_language(request, person.language)
    return web.pages.render(
        request,
        "unsubscribe.html",
        language,
        status_code=400 if error else 200,
        token=token,
        alerts=bool(person.topics),
        notice_version=web.deps.notices.current(language).version,
        error=error,
        csrf=False,
    )


async def _unsubscribe_refused(
    web: SubscriptionsWeb, request: Request, token: str, error: str
) -> HTMLResponse:
    """Show the unsubscribe page again with why the post was refused (400), changing nothing."""
    person = await handlers.preferences(web.uow(), web.deps, token, ("unsubscribe",))
    if person is None:
        return await no_unsubscribe(web, request, token)
    return _unsubscribe_page(web, request, token, person, error=error)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, web: Web) -> HTMLResponse:
    """End all alerts, or end them and delete the address."""
    form = await read_form(request)
    action = pressed(form, "action")
    if action not in (END_ALL, ERASE):
        # A post that names neither button (a scanner submitting forms) must not delete anything.
        return await _unsubscribe_refused(web, request, token, FORM_NOT_VALID)
    page = handlers.PageShown(shown_notice(form))
    return await end_or_erase(
        web, request, token, action, page, purposes=("unsubscribe",), route=UnsubscribeRoute.LINK
    )


@router.get("/one-click/{token}")
async def one_click_opened(token: str) -> Response:
    """Send a browser that opened the one-click address to the unsubscribe page, which asks.

    Some mail programs open the List-Unsubscribe address in a browser rather than post to it;
    the person should find the buttons there, not an error. Nothing ends on a GET.
    """
    return Response(status_code=303, headers={"Location": f"/unsubscribe/{quote(token, safe='')}"})


async def _asks_one_click(request: Request) -> bool:
    """Tell whether a POST's body says ``List-Unsubscribe=One-Click`` (RFC 8058, section 3.1).

    RFC 8058 sends it as a form (urlencoded or multipart). The Thunderbird add-on «List
    Unsubscribe» posts the same pair as a plain string, which goes out as text/plain: read as
    a form it was empty, the answer a 400 that the add-on does not look at, and the person was
    told the alerts had ended while they went on.
    """
    essence = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if essence in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return field(await read_form(request), "List-Unsubscribe") == "One-Click"
    if essence not in ("", "text/plain"):
        return False  # JSON and other bodies: not the pair RFC 8058 names
    pairs = parse_qs((await request.body()).decode("utf-8", "replace").strip())
    return pairs.get("List-Unsubscribe") == ["One-Click"]


@router.post("/one-click/{token}")
async def one_click(token: str, request: Request, web: Web) -> PlainTextResponse:
    """RFC 8058 one-click unsubscribe: a POST whose body says ``List-Unsubscribe=One-Click``
    ends all alerts; no cookies, no CSRF token, no redirect."""
    if not await _asks_one_click(request):
        return PlainTextResponse(
            "Expected List-Unsubscribe=One-Click in the body.\n", status_code=400
        )
    ended = await handlers.unsubscribe(
        web.uow(),
        web.deps,
        token,
        purposes=("unsubscribe",),
        topics=None,
        route=UnsubscribeRoute.ONE_CLICK,
    )
    if ended is not None:
        return PlainTextResponse("Unsubscribed.\n")
    if await handlers.erased_holder(web.uow(), web.deps, token, ("unsubscribe",)):
        # RFC 8058 asks only for success: the address is gone, so nothing is left to end.
        return PlainTextResponse("Nothing left to end: the address has been deleted.\n")
    return PlainTextResponse("This unsubscribe link is not valid.\n", status_code=404)
