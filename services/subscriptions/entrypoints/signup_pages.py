"""Routes of the pages that take an address: sign up (also embedded), ask for a manage link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from services.subscriptions import handlers
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.domain.consent import SIGNUP_PAGE_PATH, signup_page
from services.subscriptions.domain.model import SignupForm
from services.subscriptions.entrypoints.web import (
    SubscriptionsWeb,
    Web,
    client_of,
    csrf_refusal,
    field,
    form_language,
    language_of,
    no_such_topic,
    too_many,
    topic_view,
    topic_views,
    web_of,
)
from services.subscriptions.entrypoints.wording import (
    ADDRESS_PROBLEMS,
    CHOOSE_FREQUENCY,
    FORM_NOT_VALID,
)
from shared.vocabulary import Frequency, Language
from shared.web.forms import read_form

router = APIRouter()


def form_errors(web: SubscriptionsWeb, request: Request, form: FormData) -> dict[str, str]:
    """Start a form's errors: the whole form is refused if its CSRF token does not match.

    These forms carry no link token, so the cookie is their only proof against a cross-site
    post (a sign-up in someone else's name, say): they keep needing it.
    """
    refusal = csrf_refusal(web, request, form)
    return {} if refusal is None else {"form": refusal}


def address_of(web: SubscriptionsWeb, raw: str, errors: dict[str, str]) -> str:
    """Return the normal form of an address to mail, or "" with the reason added to ``errors``."""
    try:
        return normalise_address(raw, non_ascii_local=web.deps.settings.smtp_utf8)
    except InvalidAddress as exc:
        errors["email"] = ADDRESS_PROBLEMS[exc.reason]
        return ""


def subscribe_page(
    web: SubscriptionsWeb,
    request: Request,
    slug: str,
    language: Language,
    *,
    embedded_on: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the sign-up form, or, ``embedded_on`` an allowed origin, the embedded one."""
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        return no_such_topic(web, request, slug, language)
    # The form says which page it was shown on: this one, or (in its token) the host page.
    hidden: dict[str, Any] = {}
    if embedded_on is None:
        action = hidden["shown_on"] = SIGNUP_PAGE_PATH.format(slug=slug)
    else:
        # The host page's origin rides along in the address, so the answer to the POST (an
        # error, or "check your email") can be framed by that page too.
        action = f"/embed/subscribe/{slug}?{urlencode({'origin': embedded_on})}"
        hidden["form_token"] = web.embed.issue(slug, embedded_on)
    return web.pages.render(
        request,
        "subscribe.html",
        language,
        status_code=status_code,
        framed_by=embedded_on,
        topic=topic_view(topic, language),
        related=topic_views(web, topic.related, language),
        errors=errors or {},
        values=values or {"email": "", "frequency": Frequency.IMMEDIATE, "related": []},
        action=action,
        **hidden,
    )


@router.get("/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_form(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Show the sign-up form for a topic."""
    return subscribe_page(web, request, slug, language_of(request))


async def take_signup(
    slug: str,
    request: Request,
    web: SubscriptionsWeb,
    form: FormData,
    errors: dict[str, str],
    *,
    embedded_on: str | None = None,
) -> HTMLResponse:
    """Accept a sign-up form whose token was checked (``errors`` holds the verdict)."""
    language = form_language(request, form)
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        return no_such_topic(web, request, slug, language)
    raw_email = field(form, "email")
    frequency = Frequency.parse(field(form, "frequency"))
    # Whole and all of them: only the topic's own related topics are kept below, exactly.
    related = [v for v in form.getlist("related") if isinstance(v, str)]
    values: dict[str, object] = {
        "email": raw_email,
        "frequency": frequency or "",
        "related": related,
    }
    if embedded_on is None and field(form, "page") != SIGNUP_PAGE_PATH.format(slug=slug):
        errors.setdefault("form", FORM_NOT_VALID)
    address = address_of(web, raw_email, errors)
    if frequency is None:
        errors["frequency"] = CHOOSE_FREQUENCY
    if errors or frequency is None:
        return subscribe_page(
            web,
            request,
            slug,
            language,
            embedded_on=embedded_on,
            errors=errors,
            values=values,
            status_code=400,
        )
    # Each related topic once, as the page lists them: a post naming one many times (the
    # browser sends each box once) gives the same consent as naming it once.
    topics = (slug, *(t for t in topic.related if t in related))
    # Where the sign-up was given: the host page for the embedded form, else this topic's page.
    page = embedded_on or signup_page(web.deps.settings.base_url, slug)
    return await submit_signup(
        web, request, address, topics, frequency, language, page=page, embedded_on=embedded_on
    )


async def submit_signup(
    web: SubscriptionsWeb,
    request: Request,
    address: str,
    topics: tuple[str, ...],
    frequency: Frequency,
    language: Language,
    *,
    page: str,
    embedded_on: str | None = None,
) -> HTMLResponse:
    """Hand a valid sign-up to its handler and answer as every sign-up form does.

    ``page`` is where the person gave consent, as the ledger records it: checked by the caller
    against the pages varsel knows, never taken from the Referer header.
    """
    signup = SignupForm(
        address=address, topics=topics, frequency=frequency, language=language, page=page
    )
    client = client_of(request)
    if not await handlers.sign_up(web.uow(), web.deps, signup, client):
        until = await handlers.retry_at(web.uow(), web.deps, "signup", address, client)
        return too_many(web, request, language, until, framed_by=embedded_on)
    return web.pages.render(
        request,
        "check_email.html",
        language,
        framed_by=embedded_on,
        fixed=True,
        days=str(web.deps.settings.confirm_ttl_days),
    )


async def subscribe(request: Request) -> HTMLResponse:
    """Accept a sign-up; the answer never reveals whether the address is known."""
    # The busiest write is a plain Starlette route that takes its context from the app itself:
    # FastAPI's handling of a request (its path parameter checked, its dependency solved) cost
    # 3.4 % of a sign-up's instructions, for a slug and a lookup.
    slug: str = request.path_params["slug"]
    web = web_of(request)
    form = await read_form(request)
    return await take_signup(slug, request, web, form, form_errors(web, request, form))


router.add_route("/subscribe/{slug}", subscribe, methods=["POST"], include_in_schema=False)


_HTML_PAGE: dict[str, Any] = {"content": {"text/html": {}}}
# What the browser's form sends (the sign-up page's and the embedded form's fields).
_SIGNUP_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["csrf_token", "email", "frequency", "page"],
                    "properties": {
                        "csrf_token": {"type": "string", "description": "from the form page"},
                        "email": {"type": "string", "format": "email"},
                        "frequency": {"type": "string", "enum": [f.value for f in Frequency]},
                        "related": {"type": "array", "items": {"type": "string"}},
                        "page": {"type": "string", "description": "the form's own path"},
                        "lang": {"type": "string", "enum": ["nb", "nn", "en"]},
                    },
                }
            }
        },
    }
}


@router.post(
    "/subscribe/{slug}",
    response_class=HTMLResponse,
    summary="Subscribe",
    operation_id="subscribe_subscribe__slug__post",
    openapi_extra=_SIGNUP_FORM,
    responses={
        400: {"description": "The form, with what to correct", **_HTML_PAGE},
        404: {"description": "No such topic", **_HTML_PAGE},
        429: {"description": "Too many sign-ups; try again later", **_HTML_PAGE},
    },
)
async def subscribe_as_documented(slug: str, request: Request) -> HTMLResponse:
    """Accept a sign-up; the answer never reveals whether the address is known."""
    # FastAPI's OpenAPI document describes only its own routes: this one puts the sign-up
    # there, under the name and with the answers it had. The plain route above comes first
    # and serves every such POST (tests/integration/subscriptions check the order).
    return await subscribe(request)


@router.get("/manage-link", response_class=HTMLResponse)
async def manage_link_form(request: Request, web: Web) -> HTMLResponse:
    """Show the form that asks for a fresh manage link."""
    return web.pages.render(
        request, "manage_link.html", language_of(request), sent=False, errors={}, email=""
    )


@router.post("/manage-link", response_class=HTMLResponse)
async def manage_link(request: Request, web: Web) -> HTMLResponse:
    """Send a manage link if the address is subscribed; answer the same either way."""
    form = await read_form(request)
    language = form_language(request, form)
    raw = field(form, "email")
    errors = form_errors(web, request, form)
    address = address_of(web, raw, errors)
    if errors:
        return web.pages.render(
            request,
            "manage_link.html",
            language,
            sent=False,
            errors=errors,
            email=raw,
            status_code=400,
        )
    client = client_of(request)
    if not await handlers.request_manage_link(web.uow(), web.deps, address, client):
        until = await handlers.retry_at(web.uow(), web.deps, "manage", address, client)
        return too_many(web, request, language, until)
    return web.pages.render(request, "manage_link.html", language, sent=True, errors={}, email="")


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request, web: Web) -> HTMLResponse:
    """Show the privacy notice in force."""
    language = language_of(request)
    notice = web.deps.notices.current(language)
    return web.pages.render(
        request,
        "privacy.html",
        language,
        fixed=True,
        version=notice.version,
        text=web.privacy_notice[language],
    )


@router.get("/accessibility", response_class=HTMLResponse)
async def accessibility(request: Request, web: Web) -> HTMLResponse:
    """Show the operator's accessibility statement (Tilgjengelighetserklæring)."""
    language = language_of(request)
    return web.pages.render(
        request,
        "accessibility.html",
        language,
        fixed=True,
        statement=web.accessibility_statement[language],
    )
