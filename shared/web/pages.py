"""Rendering pages: a service's localised templates, the CSRF cookie and the security headers."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, meta, select_autoescape

from shared.i18n.catalogues import Catalogues
from shared.i18n.templates import LocalisedTemplates
from shared.vocabulary import Language
from shared.web.conditional import ConditionalStaticFiles
from shared.web.csrf import COOKIE, CsrfGuard
from shared.web.headers import protect
from shared.web.html_text import NOT_IN_HTML, html_text
from shared.web.text_language import in_language, lang_attribute

STATIC = Path(__file__).resolve().parent / "static"


class Texts(Protocol):
    """A service's words: the text under ``key`` in a language, placeholders filled."""

    def __call__(self, language: str, key: str, **values: str) -> str:
        """Return one text."""


def mount_static(app: FastAPI) -> None:
    """Serve the stylesheet under /static, once however many services on the app need it."""
    if not any(getattr(route, "name", None) == "static" for route in app.routes):
        app.mount("/static", ConditionalStaticFiles(directory=STATIC), name="static")


def cookie_is_secure(request: Request, served_at: str) -> bool:
    """Tell whether a cookie gets the Secure flag: whenever the pages are configured at an https
    address, or the request came over https.

    Behind a proxy that ends TLS and is not in VARSEL_TRUSTED_PROXIES, the request says http
    although the browser used https; the configured address does not. A developer's
    http://127.0.0.1 keeps cookies without the flag, which a browser would not send back.
    """
    return served_at.startswith("https://") or request.url.scheme == "https"


def own_path(request: Request) -> str:
    """Return the path a page was asked at as a link on this site: one slash in front.

    Templates link to it (the language switch) and post to it. Any link may ask for a path that
    begins ``//evil.example/`` (or ``/\\evil.example/``), and an unknown path still gets a page;
    in that page's links a browser would read such a path as another site's address. A character
    HTML cannot carry (``%00`` asked for as a NUL) goes back percent-encoded, as it was asked.
    """
    path = "/" + request.url.path.lstrip("/\\")
    if NOT_IN_HTML.search(path):
        path = NOT_IN_HTML.sub(lambda m: quote(m.group(), safe="", errors="surrogatepass"), path)
    return path


def page_templates(directory: Path, catalogues: Catalogues) -> LocalisedTemplates:
    """Build a service's page templates (autoescaped, strict) in every language it has.

    ``|html_text`` shows back what a person sent (a field's value) without the characters HTML
    cannot carry (``shared/web/html_text.py``); ``|lang_attribute`` and ``|in_language`` mark a
    text shown in another language than the page's (``shared/web/text_language.py``).
    """
    return LocalisedTemplates(
        directory,
        catalogues,
        autoescape=select_autoescape(["html"]),
        filters={
            "html_text": html_text,
            "lang_attribute": lang_attribute,
            "in_language": in_language,
        },
    )


class PageRenderer:
    """Renders a template in a language with its words, CSRF token and security headers.

    ``context`` holds what every page of the service shows (its name, say); the CSRF cookie is
    named ``cookie_name`` and set for ``cookie_path`` with ``same_site``, so a service can keep
    its cookie to its own paths. Services on one host need different names: a browser sends
    every cookie whose path matches, and Starlette keeps only the last of two with one name.
    ``served_at`` is the configured address the pages are served at (``cookie_is_secure``).
    ``session_cookie`` names a sign-in's cookie the form tokens are bound to (CsrfGuard).
    """

    def __init__(
        self,
        templates: LocalisedTemplates,
        csrf: CsrfGuard,
        texts: Texts | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        cookie_name: str = COOKIE,
        cookie_path: str = "/",
        same_site: Literal["lax", "strict"] = "lax",
        served_at: str = "",
        session_cookie: str | None = None,
    ) -> None:
        self._templates = templates
        self._csrf = csrf
        self._texts = texts
        self._context = dict(context or {})
        self._cookie_name = cookie_name
        self._cookie_path = cookie_path
        self._same_site = same_site
        self._served_at = served_at
        self._session_cookie = session_cookie
        self._fixed_html = lru_cache(maxsize=256)(self._render_fixed)

    def render(
        self,
        request: Request,
        template: str,
        language: Language,
        *,
        status_code: int = 200,
        framed_by: str | None = None,
        fixed: bool = False,
        csrf: bool = True,
        **context: Any,
    ) -> HTMLResponse:
        """Render a page; set the CSRF cookie if the page holds a form that needs it and the
        browser has none.

        Only a template that reads ``csrf_token`` (it or a template it extends or includes)
        gets one: a page without such a form (a notice, an invalid link, a 404, the answer to
        a link from a mail) sets no cookie, as docs/privacy.md promises, whichever route
        renders it.

        ``fixed=True`` marks a page without a form whose context is a few plain values: it is
        rendered once per language, path and context and then served from memory.
        ``framed_by`` renders the embedded layout that only that origin may frame. An embedded
        page gets no CSRF cookie: a cross-site frame would not send it back, so its form carries
        a token of its own (``shared/web/embed_forms.py``). ``csrf=False`` marks a page whose
        forms post to an address holding a signed link token, which proves the post as the
        cookie would (``services/subscriptions/entrypoints/link_pages.py``): it gets no cookie
        and its template no ``csrf_token``, so it works in a browser that blocks cookies.
        """
        embedded = framed_by is not None
        guarded = csrf and not embedded and not fixed and self._holds_form(template, language)
        cookie = request.cookies.get(self._cookie_name)
        fresh_cookie = None
        if guarded and (not cookie or len(cookie) > 100):
            cookie = fresh_cookie = self._csrf.new_cookie()
        path = own_path(request)
        if fixed:
            html = self._fixed_html(
                template, language, path, embedded, tuple(sorted(context.items()))
            )
        else:
            if guarded:
                session = self.session_of(request)
                context["csrf_token"] = self._csrf.token_for(cookie or "", session)
            html = self._html(template, language, path, embedded, **context)
        response = HTMLResponse(html, status_code=status_code)
        protect(response, framed_by=framed_by)
        if fresh_cookie:
            response.set_cookie(
                self._cookie_name,
                fresh_cookie,
                httponly=True,
                secure=cookie_is_secure(request, self._served_at),
                samesite=self._same_site,
                path=self._cookie_path,
            )
        return response

    def session_of(self, request: Request) -> str:
        """Return the sign-in session the pages' form tokens are bound to ("" for none)."""
        if self._session_cookie is None:
            return ""
        return request.cookies.get(self._session_cookie, "")

    @property
    def templates(self) -> LocalisedTemplates:
        """Return the templates pages are rendered from."""
        return self._templates

    def _html(
        self, template: str, language: Language, path: str, embeddable: bool, **context: Any
    ) -> str:
        texts = self._texts
        if texts is not None:

            def t(key: str, **values: str) -> str:
                return texts(language, key, **values)

            context["t"] = t
        return self._templates.render(
            language,
            template,
            {
                "lang": language,
                # The language switch offers every other language, each named in itself.
                "other_languages": [x for x in self._templates.languages if x != language],
                "path": path,
                "embed": embeddable,
                **self._context,
                **context,
            },
        )

    def _holds_form(self, template: str, language: Language) -> bool:
        """Tell whether a template (or one it extends or includes) reads the CSRF token."""
        return "csrf_token" in _variables(self._templates.environment(language), template)

    def _render_fixed(
        self,
        template: str,
        language: Language,
        path: str,
        embeddable: bool,
        context: tuple[tuple[str, Hashable], ...],
    ) -> str:
        if self._holds_form(template, language):
            raise ValueError(f"{template} has a form; its CSRF token differs per browser")
        return self._html(template, language, path, embeddable, **dict(context))


# A template's variables by its folders and name: every environment of a folder parses it
# alike (only their words differ), so once a process, not once per language and app.
_VARIABLES: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}


def _variables(env: Environment, template: str) -> frozenset[str]:
    """Return the variables a template and every template it extends or includes read."""
    assert isinstance(env.loader, FileSystemLoader)
    key = (tuple(env.loader.searchpath), template)
    names = _VARIABLES.get(key)
    if names is None:
        names = _VARIABLES[key] = frozenset(_read_variables(env, template))
    return names


def _read_variables(env: Environment, template: str) -> set[str]:
    names: set[str] = set()
    pending, seen = [template], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
        names |= meta.find_undeclared_variables(tree)
        pending.extend(n for n in meta.find_referenced_templates(tree) if n is not None)
    return names
