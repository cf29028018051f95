"""Mail previews: every mail varsel sends, in every language, as a person would get it."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.admin.entrypoints.access import AdminDep, EditorPage
from services.mailer.read_api import PREVIEW_KINDS, UnknownPreview, preview_mail
from shared.vocabulary import LANGUAGES, Language

router = APIRouter(prefix="/admin", include_in_schema=False)

# The mail's HTML is shown in a sandboxed iframe (no scripts, forms, plugins or navigation of
# this page; its own opaque origin) from srcdoc, which inherits this page's policy. Mail
# clients honour inline styles, so the preview page allows them (and images from the public
# site, where a logo is served); scripts stay forbidden everywhere.
_PREVIEW_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' {public}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@router.get("/previews", response_class=HTMLResponse)
async def previews(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """List every kind of mail, each in every language."""
    return admin.render(
        request,
        "previews.html",
        actor=actor.principal,
        kinds=PREVIEW_KINDS,
        languages=LANGUAGES,
    )


@router.get("/previews/{kind}/{language}", response_class=HTMLResponse)
async def preview(
    kind: str, language: str, request: Request, admin: AdminDep, actor: EditorPage
) -> HTMLResponse:
    """Show one mail: its headers, its HTML part in a sandboxed frame and its text part."""
    settings = admin.runtime.settings
    topics = [(t.slug, t.title_in(language)) for t in admin.runtime.catalogue.topics]
    try:
        mail = preview_mail(settings, kind, language, topics)
    except UnknownPreview:
        return admin.render(request, "forbidden.html", status_code=404, message="not_found")
    response = admin.render(
        request,
        "preview.html",
        actor=actor.principal,
        mail=mail,
        kinds=PREVIEW_KINDS,
        languages=LANGUAGES,
        mail_language=Language(mail.language),
    )
    public = urlsplit(settings.base_url)
    response.headers["Content-Security-Policy"] = _PREVIEW_CSP.format(
        public=f"{public.scheme}://{public.netloc}"
    )
    return response
