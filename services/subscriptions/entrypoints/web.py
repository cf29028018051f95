"""What the public pages' routes share: the context bootstrap builds and how they read requests.

Routes only parse input, call one handler with plain values and render its answer; the handler
owns the transaction. GET never changes state (mail scanners follow links); every state change
is a POST. A form that carries no link token carries a CSRF token; a form reached by a mail's
link posts to that link, whose signed token is the proof (``link_pages`` says why), and the
RFC 8058 one-click endpoint, which the RFC requires to work without cookies, takes the same
token. The routes live in ``signup_pages`` and ``link_pages``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.datastructures import FormData

from services.mailer.read_api import PublishedChange
from services.subscriptions import handlers
from services.subscriptions.entrypoints.wording import (
    FORM_NEEDS_COOKIE,
    FORM_TOO_OLD,
    rate_limited,
)
from services.subscriptions.unit_of_work import UnitOfWork
from shared.catalogue_entries import Topic
from shared.i18n.catalogues import Catalogues
from shared.i18n.negotiation import language_of_tag, negotiate_language
from shared.tokens import Purpose
from shared.vocabulary import Language
from shared.web import rate_limit
from shared.web.csrf import COOKIE, FIELD, CsrfGuard
from shared.web.embed_forms import EmbedForms
from shared.web.pages import PageRenderer


@dataclass(frozen=True, slots=True)
class SubscriptionsWeb:
    """What the routes need, built once in bootstrap; ``uow()`` gives each command its own."""

    uow: Callable[[], UnitOfWork]
    deps: handlers.Deps
    pages: PageRenderer
    csrf: CsrfGuard
    # The embedded form's tokens and the host pages' origins the operator allows.
    embed: EmbedForms
    words: Catalogues
    # The operator's accessibility statement, rendered from Markdown, by language.
    accessibility_statement: Mapping[Language, Markup]
    # The organisation's privacy notice, rendered from Markdown, by language.
    privacy_notice: Mapping[Language, Markup]
    # A topic's newest changes, newest first, for its Atom feed (read from the mailer).
    topic_changes: Callable[[str], Awaitable[list[PublishedChange]]]

    async def render_error(self, request: Request, status_code: int) -> HTMLResponse:
        """Render the page of an unknown path, a wrong method or a body too large for a browser
        (shared/web/errors.py): the same for everyone, so kept once per language and path."""
        language = language_of(request)
        return self.pages.render(
            request, "error.html", language, status_code=status_code, fixed=True, status=status_code
        )


def web_of(request: Request) -> SubscriptionsWeb:
    """Return the subscriptions web context from the app state."""
    web: SubscriptionsWeb = request.app.state.subscriptions_web
    return web


async def get_web(request: Request) -> SubscriptionsWeb:
    """Return the subscriptions web context from the app state (the ``Web`` dependency)."""
    # Async although it awaits nothing: FastAPI runs a plain function dependency in a worker
    # thread, and handing every request to a thread and back cost more than the lookup.
    return web_of(request)


Web = Annotated[SubscriptionsWeb, Depends(get_web)]


def language_of(request: Request) -> Language:
    """Return the language asked for in ``?lang=`` or the Accept-Language header."""
    return negotiate_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )


def chosen_language(request: Request, own: Language) -> Language:
    """Return ``?lang=`` when it names a language we have, else the person's own."""
    return language_of_tag(request.query_params.get("lang")) or own


def client_of(request: Request) -> str:
    """Return what the per-client rate limit counts: the client's address, or its /64 for an
    IPv6 one (rate_limit.counted_client)."""
    return rate_limit.counted_client(request.client.host) if request.client else "unknown"


def field(form: FormData, name: str) -> str:
    """Return a text field of a form whole ("" if absent).

    Never cut: a cut address could be another person's (spaces before it, a domain's tail
    after the cut). Every caller checks the value exactly (an address, a token, a choice), so a
    value too long is refused with that check's reason, a 400 beside the field.
    """
    value = form.get(name)
    return value if isinstance(value, str) else ""


def shown_notice(form: FormData) -> handlers.ShownNotice | None:
    """Return the privacy notice a form says its page showed; None if it names none."""
    version = field(form, "privacy_version")
    language = Language.parse(field(form, "privacy_language"))
    if not version or language is None:
        return None
    return handlers.ShownNotice(version, language)


def pressed(form: FormData, name: str) -> str | None:
    """Return which button a form says was pressed ("" if none), or None if it names two.

    A browser sends the one button pressed. A post naming two (``action=save&action=erase``,
    a forged or scripted one) cannot say which was meant, and the last one is not taken: it
    may be the one that deletes.
    """
    values = {v for v in form.getlist(name) if isinstance(v, str)}
    if len(values) > 1:
        return None
    return values.pop() if values else ""


def csrf_refusal(web: SubscriptionsWeb, request: Request, form: FormData) -> str | None:
    """Return why a form's CSRF token is refused (an English source text), None if it matches
    the browser's CSRF cookie.

    A browser that sent no cookie at all is told that the form needs one, not that it is too
    old: sending it again would not help a browser that blocks cookies.
    """
    cookie = request.cookies.get(COOKIE)
    if web.csrf.valid(cookie, field(form, FIELD)):
        return None
    return FORM_TOO_OLD if cookie else FORM_NEEDS_COOKIE


def form_language(request: Request, form: FormData) -> Language:
    """Return the language a form was shown in, else the one the request asks for."""
    return language_of_tag(field(form, "lang")) or language_of(request)


def topic_view(topic: Topic, language: str) -> dict[str, str]:
    """Return what a page shows of a topic."""
    return {
        "slug": topic.slug,
        "title": topic.title_in(language),
        "title_lang": topic.title_language(language),
    }


def topic_views(web: SubscriptionsWeb, slugs: Iterable[str], language: str) -> list[dict[str, str]]:
    """Return what a page shows of the topics some slugs name, skipping those no longer offered."""
    catalogue = web.deps.catalogue
    return [topic_view(t, language) for slug in slugs if (t := catalogue.topic(slug)) is not None]


def ended_views(web: SubscriptionsWeb, slugs: Iterable[str], language: str) -> list[dict[str, str]]:
    """Return what a page shows of topics that have ended (a slug the catalogue no longer
    knows at all is shown as it is)."""
    catalogue = web.deps.catalogue
    return [
        topic_view(t, language)
        if (t := catalogue.ended_topic(slug))
        else {"slug": slug, "title": slug}
        for slug in slugs
    ]


def no_such_topic(
    web: SubscriptionsWeb, request: Request, slug: str, language: Language
) -> HTMLResponse:
    """Answer a topic nobody can sign up for: 410 with what to follow instead if it ended."""
    ended = web.deps.catalogue.ended_topic(slug)
    if ended is None:
        return web.pages.render(request, "not_found.html", language, status_code=404)
    successor = web.deps.catalogue.topic(ended.successor) if ended.successor else None
    return web.pages.render(
        request,
        "topic_ended.html",
        language,
        status_code=410,
        topic=topic_view(ended, language),
        successor=topic_view(successor, language) if successor else None,
    )


def too_many(
    web: SubscriptionsWeb,
    request: Request,
    language: Language,
    until: datetime,
    *,
    framed_by: str | None = None,
) -> HTMLResponse:
    """Answer a request over a rate limit: 429, and when to try again (``until``, the end of
    the limit's window; as the API does)."""
    retry_after = rate_limit.retry_after(web.deps.clock.now(), until)
    response = web.pages.render(
        request,
        "rate_limited.html",
        language,
        status_code=429,
        framed_by=framed_by,
        message=rate_limited(web.words[language], retry_after),
    )
    response.headers["Retry-After"] = retry_after
    return response


def invalid_link(web: SubscriptionsWeb, request: Request, language: Language) -> HTMLResponse:
    """Answer a link that is not valid, has expired or was already used."""
    return web.pages.render(request, "link_invalid.html", language, status_code=404)


async def no_unsubscribe(
    web: SubscriptionsWeb,
    request: Request,
    token: str,
    purposes: tuple[Purpose, ...] = ("unsubscribe",),
) -> HTMLResponse:
    """Answer a link that ends nothing: its person was erased, or it is not valid."""
    language = language_of(request)
    if await handlers.erased_holder(web.uow(), web.deps, token, purposes):
        # The person asked for exactly this, long ago or twice: not an error.
        return web.pages.render(request, "nothing_to_end.html", language, fixed=True)
    return invalid_link(web, request, language)
