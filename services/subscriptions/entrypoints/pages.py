"""Rendering the public pages: one Jinja2 environment, the CSRF cookie, safe response headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

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

    def render(
        self,
        request: Request,
        template: str,
        language: str,
        *,
        status_code: int = 200,
        embeddable: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        """Render a page; set the CSRF cookie if the browser has none."""
        cookie = request.cookies.get(COOKIE)
        fresh_cookie = None
        if not cookie or len(cookie) > 100:
            cookie = fresh_cookie = self._csrf.new_cookie()

        def t(key: str, **values: str) -> str:
            return text(language, key, **values)

        html = self._env.get_template(template).render(
            t=t,
            lang=language,
            other_lang="en" if language == "nb" else "nb",
            site=self._site_name,
            privacy_url=self._privacy_url,
            csrf_token=self._csrf.token_for(cookie),
            path=request.url.path,
            embed=embeddable,
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
