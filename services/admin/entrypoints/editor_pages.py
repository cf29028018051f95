"""Editor pages: "Test this source" shows what varsel sees at an address before it is watched."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.admin.entrypoints.access import AdminDep, EditorPage, posted_form
from services.watcher.read_api import TrialRefused, try_source
from shared.db import transaction
from shared.vocabulary import SourceKind

router = APIRouter(prefix="/admin", include_in_schema=False)
# Refusals that come from what the editor typed (a 400); the others come from the source.
_INPUT_REASONS = frozenset({"bad_url", "bad_kind", "bad_selector", "bad_ignore"})


def _blank(kind: str = "page") -> dict[str, Any]:
    return {"url": "", "kind": kind, "selector": "", "ignore": "", "kinds": list(SourceKind)}


@router.get("/sources/test", response_class=HTMLResponse)
async def source_trial_form(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """Show the form that tries a source."""
    return admin.render(
        request, "source_trial.html", actor=actor.principal, error=None, trial=None, **_blank()
    )


@router.post("/sources/test", response_class=HTMLResponse)
async def source_trial(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """Fetch and extract a source once, with its selector and ignore patterns, and show it."""
    fields = await posted_form(request, admin)
    context: dict[str, Any] = {"actor": actor.principal, **_blank(), "trial": None, "detail": None}
    if fields is None:
        return admin.render(
            request, "source_trial.html", status_code=400, error="bad_form", **context
        )
    url, kind = fields.get("url", "").strip(), fields.get("kind", "")
    selector, ignore_text = fields.get("selector", "").strip(), fields.get("ignore", "")
    ignore = tuple(line.strip() for line in ignore_text.splitlines() if line.strip())
    context.update(url=url, kind=kind, selector=selector, ignore=ignore_text)
    try:
        trial = await try_source(
            admin.runtime.settings, url, kind, selector=selector or None, ignore=ignore
        )
    except TrialRefused as exc:
        outcome, trial = exc.reason, None
        context["detail"] = str(exc)
    else:
        outcome = "seen"
    async with transaction(admin.runtime.sessions) as session:
        # The URL only: a watched page is public, and what the editor typed is no one's data.
        actor.record(
            session, "source_tested", target=url[:500], details={"kind": kind, "outcome": outcome}
        )
    if trial is None:
        status = 400 if outcome in _INPUT_REASONS else 200
        return admin.render(
            request, "source_trial.html", status_code=status, error=outcome, **context
        )
    context["trial"] = trial
    return admin.render(request, "source_trial.html", error=None, **context)
