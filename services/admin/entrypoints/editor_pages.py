"""Editor pages: "Test this source" shows what varsel sees at an address before it is watched.

The trial runs on its own page and from the source form's own button (``catalogue_pages``),
both through ``try_and_record``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.admin.domain.topic_form import PAGE_LENGTH
from services.admin.entrypoints.access import Actor, AdminDep, EditorPage, posted_form
from services.watcher.read_api import SourceTrial, TrialRefused, try_source
from shared.catalogue_addresses import address_fault
from shared.db import transaction
from shared.page_urls import without_credentials
from shared.vocabulary import SourceKind

router = APIRouter(prefix="/admin", include_in_schema=False)
# Refusals that come from what the editor typed (a 400), and the field each is about; the
# others come from the source.
INPUT_FIELDS: Final = {
    "bad_url": "url",
    "bad_host": "url",
    "url_credentials": "url",
    "bad_kind": "kind",
    "bad_selector": "selector",
    "bad_ignore": "ignore",
    "slow_ignore": "ignore",  # the page is as it is: the pattern is what can change
}


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """What a trial showed, or why it showed nothing (a key of ``messages``) and the detail."""

    trial: SourceTrial | None
    error: str | None = None
    detail: str | None = None

    @property
    def status(self) -> int:
        """Return the answer's status: 400 when what was typed is wrong, else 200."""
        return 400 if self.error in INPUT_FIELDS else 200

    @property
    def field(self) -> str | None:
        """Return the form field the refusal is about, if it is about one."""
        if self.error == "selector_nothing":
            return "selector"
        return INPUT_FIELDS.get(self.error or "")


# The source forms' longer fields: an ignore list holds many patterns, one a line; an address
# as long as the form and the watcher's column take.
SOURCE_FIELD_LIMITS: Final = {"ignore": 10_000, "url": PAGE_LENGTH}


def ignore_patterns(text: str) -> tuple[str, ...]:
    """Return the ignore patterns a form's text area holds, one a line."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


async def try_and_record(
    admin: AdminDep, actor: Actor, url: str, kind: str, selector: str, ignore: tuple[str, ...]
) -> TrialOutcome:
    """Fetch and extract a source once, with its selector and ignore patterns; audit the try.

    An address the save form refuses though it looks right (a name and password in it, an
    invisible format character) is refused here too, before any fetch, with the same words.
    """
    if (fault := address_fault(url)) is not None:
        outcome = TrialOutcome(None, fault)
    else:
        try:
            trial = await try_source(
                admin.runtime.settings, url, kind, selector=selector or None, ignore=ignore
            )
        except TrialRefused as exc:
            outcome = TrialOutcome(None, exc.reason, str(exc))
        else:
            outcome = TrialOutcome(trial)
    async with transaction(admin.runtime.sessions) as session:
        # The URL only: a watched page is public, and what the editor typed is no one's data;
        # a name and password typed into it are left out, as they are of every alert and log.
        actor.record(
            session,
            "source_tested",
            target=without_credentials(url)[:500],
            details={"kind": kind, "outcome": outcome.error or "seen"},
        )
    return outcome


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
    fields = await posted_form(request, admin, SOURCE_FIELD_LIMITS)
    context: dict[str, Any] = {"actor": actor.principal, **_blank(), "trial": None, "detail": None}
    if fields is None:
        return admin.render(
            request, "source_trial.html", status_code=400, error="bad_form", **context
        )
    url, kind = fields.get("url", "").strip(), fields.get("kind", "")
    selector, ignore_text = fields.get("selector", "").strip(), fields.get("ignore", "")
    context.update(url=url, kind=kind, selector=selector, ignore=ignore_text)
    outcome = await try_and_record(admin, actor, url, kind, selector, ignore_patterns(ignore_text))
    context.update(trial=outcome.trial, detail=outcome.detail)
    return admin.render(
        request, "source_trial.html", status_code=outcome.status, error=outcome.error, **context
    )
