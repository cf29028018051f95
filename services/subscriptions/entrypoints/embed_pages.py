"""Routes of the embedded sign-up form, which a publisher shows in an iframe on its own pages.

The form works without cookies (a cross-site frame gets none): its token is signed and bound to
the topic and the host page's origin (``shared/web/embed_forms.py``), and only origins the
operator lists in ``VARSEL_EMBED_ORIGINS`` may frame it. The publisher's iframe names its
page's origin in the address, ``/embed/subscribe/<topic>?origin=https://www.example.no``;
with one allowed origin it may be left out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.subscriptions.entrypoints.signup_pages import subscribe_page, take_signup
from services.subscriptions.entrypoints.web import (
    SubscriptionsWeb,
    Web,
    field,
    form_language,
    language_of,
    no_such_topic,
)
from services.subscriptions.entrypoints.wording import FORM_NOT_VALID, FORM_TOO_OLD
from shared.vocabulary import Language
from shared.web.embed_forms import FIELD, Refusal
from shared.web.forms import read_form

router = APIRouter()


def _not_here(
    web: SubscriptionsWeb, request: Request, slug: str, language: Language
) -> HTMLResponse:
    """Answer a form asked for by, or sent from, a page the operator has not allowed: 403.

    The refusal holds no form, so any page may frame it: the publisher who got the origin wrong
    then reads why in their own iframe, and the person is offered the sign-up page itself.
    """
    if web.deps.catalogue.topic(slug) is None:
        return no_such_topic(web, request, slug, language)
    return web.pages.render(
        request,
        "embed_refused.html",
        language,
        status_code=403,
        framed_by="*",
        fixed=True,
        slug=slug,
    )


@router.get("/embed/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_form_embed(
    slug: str, request: Request, web: Web, origin: str | None = None
) -> HTMLResponse:
    """Show the minimal sign-up form for an iframe on an allowed page of the publisher."""
    language = language_of(request)
    host = web.embed.host_origin(origin)
    if host is None:
        return _not_here(web, request, slug, language)
    return subscribe_page(web, request, slug, language, embedded_on=host)


@router.post("/embed/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_embed(
    slug: str, request: Request, web: Web, origin: str | None = None
) -> HTMLResponse:
    """Accept a sign-up from the embedded form, if its token is genuine, current and its own."""
    form = await read_form(request)
    host = web.embed.host_origin(origin)
    if host is None:
        return _not_here(web, request, slug, form_language(request, form))
    verdict = web.embed.check(field(form, FIELD), slug, host)
    # A form sent late is simply sent again; one made for another topic or page is refused the
    # same way, with a fresh token, since a person may have reached it honestly (a cached page).
    errors = {}
    if verdict is Refusal.EXPIRED:
        errors["form"] = FORM_TOO_OLD
    elif verdict is Refusal.INVALID:
        errors["form"] = FORM_NOT_VALID
    return await take_signup(slug, request, web, form, errors, embedded_on=host)
