"""HTTP routes of the public pages: sign up, confirm, manage, unsubscribe, erase.

Routes only parse input, call one handler in a transaction and render the answer. GET never
changes state (mail scanners follow links); every state change is a POST with a CSRF token,
except the RFC 8058 one-click endpoint, which the RFC requires to work without cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import FormData

from services.subscriptions import handlers
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.domain.model import SignupForm
from services.subscriptions.domain.privacy import current_notice
from services.subscriptions.domain.texts import negotiate_language
from shared.catalogue import Topic
from shared.db import transaction
from shared.vocabulary import Frequency, Language
from shared.web import rate_limit
from shared.web.csrf import COOKIE, FIELD, CsrfGuard
from shared.web.pages import PageRenderer

log = logging.getLogger(__name__)

MAX_FIELD = 1000


@dataclass(frozen=True, slots=True)
class SubscriptionsWeb:
    """What the routes need, built once in bootstrap."""

    sessions: async_sessionmaker[AsyncSession]
    deps: handlers.Deps
    pages: PageRenderer
    csrf: CsrfGuard

    def limit_key(self, kind: str, value: str) -> str:
        """Return a keyed hash for a rate-limit counter (no address or IP is stored)."""
        key = self.deps.settings.secret_key.encode()
        return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    async def _count(self, session: AsyncSession, kind: str, address: str, client: str) -> bool:
        settings = self.deps.settings
        allowed = await rate_limit.allow_all(
            session,
            [
                (self.limit_key(f"{kind}-address", address), settings.signup_limit_per_address),
                (self.limit_key(f"{kind}-client", client), settings.signup_limit_per_client),
            ],
            self.deps.clock.now(),
        )
        if not allowed:
            log.warning("subscriptions: %s rate limit reached", kind)
        return allowed

    async def within_limits(self, kind: str, address: str, client: str) -> bool:
        """Count a request per address and per client; tell whether both are within limit."""
        # Its own short transaction: the per-client row is hot, so its lock is held briefly.
        async with transaction(self.sessions) as session:
            return await self._count(session, kind, address, client)

    async def sign_up(self, form: SignupForm, client: str) -> bool:
        """Record a sign-up and count it against the limits in one transaction; False if over."""
        for attempt in range(2):
            try:
                async with transaction(self.sessions) as session:
                    await handlers.request_signup(session, self.deps, form)
                    # Counted last, right before the commit: the per-client row is hot, so its
                    # lock is held only briefly. Over the limit, the whole sign-up rolls back.
                    if not await self._count(session, "signup", form.address, client):
                        raise _OverLimit
                return True
            except _OverLimit:
                return False
            except (IntegrityError, handlers.SignupRaced):
                # A concurrent sign-up or erasure of the same address won: start over once.
                if attempt:
                    raise
            except DBAPIError as exc:
                # The pool does not ping before each checkout; a connection the server dropped
                # (restart, failover) fails here once, the pool discards it, and we try again.
                if attempt or not exc.connection_invalidated:
                    raise
        return False


class _OverLimit(Exception):
    """Roll back a sign-up that went over a rate limit."""


def get_web(request: Request) -> SubscriptionsWeb:
    """Return the subscriptions web context from the app state."""
    web: SubscriptionsWeb = request.app.state.subscriptions_web
    return web


Web = Annotated[SubscriptionsWeb, Depends(get_web)]


def _language(request: Request) -> Language:
    return negotiate_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )


def _chosen_language(request: Request, fallback: str) -> Language:
    """Return ``?lang=`` when it names a language we have, else the person's own."""
    return Language.parse(request.query_params.get("lang")) or Language.of(fallback)


def client_of(request: Request) -> str:
    """Return the client address the per-client rate limit counts."""
    return request.client.host if request.client else "unknown"


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _csrf_ok(web: SubscriptionsWeb, request: Request, form: FormData) -> bool:
    return web.csrf.valid(request.cookies.get(COOKIE), _field(form, FIELD))


def _topic_view(topic: Topic, language: str) -> dict[str, str]:
    return {"slug": topic.slug, "title": topic.title_in(language)}


def _invalid_link(web: SubscriptionsWeb, request: Request, language: str) -> HTMLResponse:
    return web.pages.render(request, "link_invalid.html", language, status_code=404)


router = APIRouter()


def _subscribe_page(
    web: SubscriptionsWeb,
    request: Request,
    slug: str,
    language: str,
    *,
    embed: bool,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        return web.pages.render(request, "not_found.html", language, status_code=404)
    related = [
        _topic_view(t, language)
        for slug_ in topic.related
        if (t := web.deps.catalogue.topic(slug_)) is not None
    ]
    return web.pages.render(
        request,
        "subscribe.html",
        language,
        status_code=status_code,
        embeddable=embed,
        topic=_topic_view(topic, language),
        related=related,
        errors=errors or {},
        values=values or {"email": "", "frequency": "immediate", "related": []},
        action=f"/{'embed/' if embed else ''}subscribe/{slug}",
    )


@router.get("/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_form(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Show the sign-up form for a topic."""
    return _subscribe_page(web, request, slug, _language(request), embed=False)


@router.get("/embed/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_form_embed(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Show the minimal sign-up form for an iframe on the publisher's page."""
    return _subscribe_page(web, request, slug, _language(request), embed=True)


async def _subscribe(
    slug: str, request: Request, web: SubscriptionsWeb, *, embed: bool
) -> HTMLResponse:
    form = await request.form()
    language = Language.parse(_field(form, "lang")) or _language(request)
    topic = web.deps.catalogue.topic(slug)
    if topic is None:
        return web.pages.render(request, "not_found.html", language, status_code=404)
    raw_email = _field(form, "email")
    frequency = Frequency.parse(_field(form, "frequency"))
    related = [v[:100] for v in form.getlist("related") if isinstance(v, str)][:50]
    values: dict[str, object] = {
        "email": raw_email,
        "frequency": frequency or "",
        "related": related,
    }
    errors: dict[str, str] = {}
    if not _csrf_ok(web, request, form):
        errors["form"] = "error_csrf"
    address = ""
    try:
        address = normalise_address(raw_email)
    except InvalidAddress as exc:
        errors["email"] = exc.reason
    if frequency is None:
        errors["frequency"] = "error_frequency"
    if errors:
        return _subscribe_page(
            web, request, slug, language, embed=embed, errors=errors, values=values, status_code=400
        )
    assert frequency is not None
    topics = (slug, *(t for t in related if t in topic.related))
    page = request.headers.get("referer", "")[:2000] or None
    form_ = SignupForm(
        address=address, topics=topics, frequency=frequency, language=language, page=page
    )
    if not await web.sign_up(form_, client_of(request)):
        return web.pages.render(request, "rate_limited.html", language, status_code=429)
    wake_outbox(request)
    return web.pages.render(
        request,
        "check_email.html",
        language,
        embeddable=embed,
        fixed=True,
        days=str(web.deps.settings.confirm_ttl_days),
    )


def wake_outbox(request: Request) -> None:
    """Tell the outbox relay there is something to publish now."""
    wake = getattr(request.app.state, "wake_outbox", None)
    if callable(wake):
        wake()


@router.post("/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Accept a sign-up; the answer never reveals whether the address is known."""
    return await _subscribe(slug, request, web, embed=False)


@router.post("/embed/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe_embed(slug: str, request: Request, web: Web) -> HTMLResponse:
    """Accept a sign-up from the embedded form."""
    return await _subscribe(slug, request, web, embed=True)


@router.get("/confirm/{token}", response_class=HTMLResponse)
async def confirm_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show the confirm button; following the link alone changes nothing."""
    async with web.sessions() as session:
        sign_up = await handlers.find_request(session, web.deps, token)
    if sign_up is None:
        return _invalid_link(web, request, _language(request))
    language = _chosen_language(request, sign_up.language)
    return web.pages.render(request, "confirm.html", language, token=token)


@router.post("/confirm/{token}", response_class=HTMLResponse)
async def confirm(token: str, request: Request, web: Web) -> HTMLResponse:
    """Confirm the sign-up and show what the person now gets alerts about."""
    form = await request.form()
    language = _language(request)
    if not _csrf_ok(web, request, form):
        return web.pages.render(
            request, "confirm.html", language, token=token, status_code=400, error="error_csrf"
        )
    async with transaction(web.sessions) as session:
        outcome = await handlers.confirm(session, web.deps, token)
    if outcome is None:
        return _invalid_link(web, request, language)
    wake_outbox(request)
    topics = [
        _topic_view(t, outcome.language)
        for slug in outcome.topics
        if (t := web.deps.catalogue.topic(slug)) is not None
    ]
    manage_token = web.deps.signer.sign("manage", outcome.subscriber_id, web.deps.clock.now())
    return web.pages.render(
        request, "confirmed.html", outcome.language, topics=topics, manage_token=manage_token
    )


@router.get("/manage/{token}", response_class=HTMLResponse)
async def manage_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show a person's topics and frequency with forms to change, end or erase."""
    async with web.sessions() as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "manage", token)
        if subscriber is None:
            return _invalid_link(web, request, _language(request))
        current = await handlers.open_topics(session, subscriber.id)
    language = _chosen_language(request, subscriber.language)
    return web.pages.render(
        request,
        "manage.html",
        language,
        token=token,
        topics=[_topic_view(t, language) for t in web.deps.catalogue.topics],
        current=sorted(current),
        frequency=subscriber.frequency,
        saved=request.query_params.get("saved") == "1",
        errors={},
    )


@router.post("/manage/{token}", response_class=HTMLResponse)
async def manage_save(token: str, request: Request, web: Web) -> Response:
    """Save topics and frequency, end all alerts, or erase, as the pressed button says."""
    form = await request.form()
    async with transaction(web.sessions) as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "manage", token)
        if subscriber is None:
            return _invalid_link(web, request, _language(request))
        language = subscriber.language
        if not _csrf_ok(web, request, form):
            return web.pages.render(request, "link_invalid.html", language, status_code=400)
        action = _field(form, "action")
        if action == "erase":
            await handlers.erase(session, web.deps, subscriber, route="manage-page")
            outcome = "erased"
        elif action == "unsubscribe_all":
            await handlers.unsubscribe(
                session, web.deps, subscriber, topics=None, route="manage-page"
            )
            outcome = "unsubscribed"
        else:
            frequency = Frequency.parse(_field(form, "frequency")) or Frequency.IMMEDIATE
            topics = [v for v in form.getlist("topics") if isinstance(v, str)][:100]
            await handlers.update_preferences(
                session, web.deps, subscriber, topics=topics, frequency=frequency, language=language
            )
            outcome = "saved"
    wake_outbox(request)
    if outcome == "saved":
        chosen = Language.parse(request.query_params.get("lang"))
        suffix = f"&lang={chosen}" if chosen else ""
        return Response(status_code=303, headers={"Location": f"/manage/{token}?saved=1{suffix}"})
    return web.pages.render(request, f"{outcome}.html", language)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show the buttons that end all alerts or also delete the address."""
    async with web.sessions() as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "unsubscribe", token)
    if subscriber is None:
        return _invalid_link(web, request, _language(request))
    language = _chosen_language(request, subscriber.language)
    return web.pages.render(request, "unsubscribe.html", language, token=token)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, web: Web) -> HTMLResponse:
    """End all alerts, or end them and delete the address."""
    form = await request.form()
    async with transaction(web.sessions) as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "unsubscribe", token)
        if subscriber is None:
            return _invalid_link(web, request, _language(request))
        language = subscriber.language
        if not _csrf_ok(web, request, form):
            return web.pages.render(
                request,
                "unsubscribe.html",
                language,
                token=token,
                status_code=400,
                error="error_csrf",
            )
        if _field(form, "action") == "unsubscribe_all":
            await handlers.unsubscribe(session, web.deps, subscriber, topics=None, route="link")
            outcome = "unsubscribed"
        else:
            await handlers.erase(session, web.deps, subscriber, route="link")
            outcome = "erased"
    wake_outbox(request)
    return web.pages.render(request, f"{outcome}.html", language)


@router.post("/one-click/{token}")
async def one_click(token: str, request: Request, web: Web) -> PlainTextResponse:
    """RFC 8058 one-click unsubscribe: a bare POST ends all alerts; no cookies, no redirect."""
    form = await request.form()
    if _field(form, "List-Unsubscribe") != "One-Click":
        return PlainTextResponse(
            "Expected List-Unsubscribe=One-Click in the body.\n", status_code=400
        )
    async with transaction(web.sessions) as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "unsubscribe", token)
        if subscriber is None:
            return PlainTextResponse("This unsubscribe link is not valid.\n", status_code=404)
        await handlers.unsubscribe(session, web.deps, subscriber, topics=None, route="one-click")
    wake_outbox(request)
    return PlainTextResponse("Unsubscribed.\n")


@router.get("/manage-link", response_class=HTMLResponse)
async def manage_link_form(request: Request, web: Web) -> HTMLResponse:
    """Show the form that asks for a fresh manage link."""
    return web.pages.render(
        request, "manage_link.html", _language(request), sent=False, errors={}, email=""
    )


@router.post("/manage-link", response_class=HTMLResponse)
async def manage_link(request: Request, web: Web) -> HTMLResponse:
    """Send a manage link if the address is subscribed; answer the same either way."""
    form = await request.form()
    language = Language.parse(_field(form, "lang")) or _language(request)
    raw = _field(form, "email")
    errors: dict[str, str] = {}
    if not _csrf_ok(web, request, form):
        errors["form"] = "error_csrf"
    address = ""
    try:
        address = normalise_address(raw)
    except InvalidAddress as exc:
        errors["email"] = exc.reason
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
    if not await web.within_limits("manage", address, client_of(request)):
        return web.pages.render(request, "rate_limited.html", language, status_code=429)
    async with transaction(web.sessions) as session:
        await handlers.request_manage_link(session, web.deps, address)
    wake_outbox(request)
    return web.pages.render(request, "manage_link.html", language, sent=True, errors={}, email="")


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request, web: Web) -> HTMLResponse:
    """Show the privacy notice in force."""
    language = _language(request)
    notice = current_notice(language)
    return web.pages.render(request, "privacy.html", language, notice=notice)
