"""Rendering the public pages: one Jinja2 environment, the CSRF cookie, safe response headers."""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta, select_autoescape

from services.subscriptions.domain.texts import text
from services.subscriptions.entrypoints.csrf import COOKIE, CsrfGuard

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Tokens travel in URLs, so no page may leak its address to another site; nothing third-party loads.
_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_CSP = "default-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {}"


def build_environment(directory: Path = TEMPLATES) -> Environment:
    """Build a page template environment (autoescaped, strict) on a template folder."""
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class PageRenderer:
    """Renders a template in a language with the texts, CSRF token and security headers."""

    def __init__(
        self, env: Environment, csrf: CsrfGuard, *, site_name: str, privacy_url: str
    ) -> None:
        self._env = env
        self._csrf = csrf
        self._site_name = site_name
        self._privacy_url = privacy_url
        self._fixed_html = lru_cache(maxsize=256)(self._render_fixed)

    def render(
        self,
        request: Request,
        template: str,
        language: str,
        *,
        status_code: int = 200,
        embeddable: bool = False,
        fixed: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        """Render a page; set the CSRF cookie if the browser has none.

        ``fixed=True`` marks a page without a form whose context is a few plain values: it is
        rendered once per language, path and context and then served from memory.
        """
        cookie = request.cookies.get(COOKIE)
        fresh_cookie = None
        if not cookie or len(cookie) > 100:
            cookie = fresh_cookie = self._csrf.new_cookie()
        if fixed:
            html = self._fixed_html(
                template, language, request.url.path, embeddable, tuple(sorted(context.items()))
            )
        else:
            html = self._html(
                template,
                language,
                request.url.path,
                embeddable,
                csrf_token=self._csrf.token_for(cookie),
                **context,
            )
        response = HTMLResponse(html, status_code=status_code)
        for name, value in _HEADERS.items():
            response.headers[name] = value
        # The embeddable form may sit in an iframe on the publisher's page; nothing else may.
        response.headers["Content-Security-Policy"] = _CSP.format("*" if embeddable else "'none'")
        if not embeddable:
            response.headers["X-Frame-Options"] = "DENY"
        if fresh_cookie:
            secure = request.url.scheme == "https"
            response.set_cookie(
                COOKIE,
                fresh_cookie,
                httponly=True,
                secure=secure,
                samesite="none" if (embeddable and secure) else "lax",
                path="/",
            )
        return response

    def _html(
        self, template: str, language: str, path: str, embeddable: bool, **context: Any
    ) -> str:
        def t(key: str, **values: str) -> str:
            return text(language, key, **values)

        return self._env.get_template(template).render(
            t=t,
            lang=language,
            other_lang="en" if language == "nb" else "nb",
            site=self._site_name,
            privacy_url=self._privacy_url,
            path=path,
            embed=embeddable,
            **context,
        )

    def _render_fixed(
        self,
        template: str,
        language: str,
        path: str,
        embeddable: bool,
        context: tuple[tuple[str, Hashable], ...],
    ) -> str:
        if "csrf_token" in _variables(self._env, template):
            raise ValueError(f"{template} has a form; its CSRF token differs per browser")
        return self._html(template, language, path, embeddable, **dict(context))


def _variables(env: Environment, template: str) -> set[str]:
    """Return the variables a template and every template it extends or includes read."""
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
