"""The bulletin editor (``/admin/bulletins``): an editor or operator writes a one-off message
to the followers of topics, sends a test of it to their own address, then sends it.

The words go to the mailer in an event (``services/admin/bulletins.py``); the page checks the
form first and answers a wrong one with 400 and the reason, changing nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError

from services.admin import bulletins
from services.admin.domain.bulletin_draft import (
    FORM_LANGUAGES,
    DraftRefused,
    SendMode,
    read_draft,
    read_topics,
)
from services.admin.entrypoints.access import (
    Actor,
    Admin,
    AdminDep,
    EditorPage,
    form_is_ours,
    language_of,
)
from services.admin.entrypoints.wording import ENDED_TOPIC
from services.mailer.read_api import TestMailState
from services.subscriptions import read_api as subscriptions
from shared.carried_text import without_bidi_controls
from shared.db import transaction
from shared.events import BULLETIN_BODY_MAX, BULLETIN_SUBJECT_MAX
from shared.vocabulary import Frequency
from shared.web.csrf import FIELD as CSRF_FIELD
from shared.web.forms import read_form

router = APIRouter(prefix="/admin", include_in_schema=False)
# How long the answer to «Send a test» waits to say whether the test went: a mail server that
# answers takes it in well under this; one that does not has the page say it still waits.
TEST_OUTCOME_WAIT = 3.0


async def _page(
    request: Request,
    admin: Admin,
    actor: Actor,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    language = language_of(request)
    current = admin.runtime.catalogue.current
    topics = [(t.slug, t.title_in(language)) for t in current.topics]
    # The sent list names a topic that ended since by its title, marked ended.
    words = admin.words[language]
    ended = {t.slug: words.gettext(ENDED_TOPIC, title=t.title_in(language)) for t in current.ended}
    values = {"bulletin_id": str(uuid.uuid4()), "mode": SendMode.NEXT_MAILS.value}
    values.update(form or {})
    context: dict[str, Any] = {
        "error": None,
        "detail": None,
        "errors": {},
        "details": {},
        "outcome": None,
        "reach": None,
    }
    context.update(extra)
    async with admin.runtime.sessions() as session:
        sent = await bulletins.last_sent(session)
        now = admin.runtime.clock.now()
        tests = await bulletins.latest_tests(session, actor.principal, now)
    return admin.render(
        request,
        "bulletins.html",
        status_code=status,
        actor=actor.principal,
        topics=topics,
        titles={**ended, **dict(topics)},
        sent=sent,
        tests=tests,
        chosen=chosen or [],
        form=values,
        languages=[lang.value for lang in FORM_LANGUAGES],
        modes=[mode.value for mode in SendMode],
        max_subject=BULLETIN_SUBJECT_MAX,
        max_body=BULLETIN_BODY_MAX,
        **context,
    )


@router.get("/bulletins", response_class=HTMLResponse)
async def bulletin_form(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """Show an empty bulletin form."""
    return await _page(request, admin, actor)


@router.post("/bulletins", response_class=HTMLResponse)
async def post_bulletin(request: Request, admin: AdminDep, actor: EditorPage) -> HTMLResponse:
    """Count who the chosen topics reach (``action=count``), send a test of the bulletin to
    oneself (``action=test``) or send it (``action=send``)."""
    form = await read_form(request)
    # Read whole, never cut: a text over its limit is refused by read_draft, naming its language,
    # and the form comes back filled in; the other fields must match exactly (an id, a choice).
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    # Every ticked topic, however many: the reads and the mailer take the slugs as one array
    # parameter on PostgreSQL (shared.db.among), and the form's fields are bounded where the
    # form is read.
    chosen = [str(t) for t in form.getlist("topics")]
    shown = {k: v for k, v in fields.items() if k != CSRF_FIELD}
    if not form_is_ours(request, admin, fields.get(CSRF_FIELD)):
        return await _page(
            request, admin, actor, status=400, form=shown, chosen=chosen, error="bad_form"
        )
    action = fields.get("action", "")
    known = [t.slug for t in admin.runtime.catalogue.current.topics]
    if action == "count":
        return await _count(request, admin, actor, shown, chosen, known)
    try:
        draft = read_draft(fields, chosen, known)
        if action not in ("test", "send"):
            raise DraftRefused("bad_form")
    except DraftRefused as refused:
        for problem in refused.refusals:
            if problem.reason.endswith("_bidi_control"):
                # Shown in the order it is stored, for the editor to check (ADR 0023).
                shown[problem.field] = without_bidi_controls(shown[problem.field])
        return await _refused(request, admin, actor, shown, chosen, refused)
    testing = action == "test"
    test_request = None
    try:
        async with transaction(admin.runtime.sessions) as session:
            details = bulletins.audit_details(draft)
            if testing and not await bulletins.has_own_address(session, actor.principal):
                refusal: str | None = "bulletin_no_own_address"
            elif testing:
                refusal = None
                test_request = await bulletins.send_test(session, draft, actor.principal)
                details["request"] = str(test_request)  # the ledger knows its mails by it
                actor.record(session, bulletins.TESTED, str(draft.bulletin_id), details)
            elif await bulletins.already_sent(session, draft):
                refusal = "bulletin_already_sent"
            else:
                refusal = None
                await bulletins.send(session, draft, actor.principal)
                actor.record(session, bulletins.SENT, str(draft.bulletin_id), details)
    except IntegrityError:
        # Another press of «Send» for this bulletin committed first (bulletins.send): nothing
        # of this one was kept, neither its event nor an audit entry naming its words. Any
        # other conflict (a test's, or of another row) is an error as any other, not told to
        # the editor as a send that happened.
        if testing or not await bulletins.sent_meanwhile(admin.runtime.sessions, draft):
            raise
        refusal = "bulletin_already_sent"
    if refusal is not None:
        return await _page(
            request, admin, actor, status=409, form=shown, chosen=chosen, error=refusal
        )
    admin.runtime.relay.wake()
    if test_request is not None:
        # Said as it is: sent, failed, or still waiting for the mail server once the page has
        # waited a moment for it (the mailer sends it after this commit).
        mails = await bulletins.test_mails(
            admin.runtime.sessions, test_request, sorted(draft.texts), wait=TEST_OUTCOME_WAIT
        )
        states = {mail.state for mail in mails}
        if states == {TestMailState.SENT}:
            outcome = "bulletin_test_sent"
        elif states & {TestMailState.FAILED, TestMailState.NOT_SENT}:
            outcome = "bulletin_test_failed"
        else:
            outcome = "bulletin_test_waiting"
        # The form stays filled in, with the same id, so the editor can send it next.
        return await _page(request, admin, actor, form=shown, chosen=chosen, outcome=outcome)
    return await _page(request, admin, actor, outcome="bulletin_sent")


async def _refused(
    request: Request,
    admin: Admin,
    actor: Actor,
    shown: dict[str, str],
    chosen: list[str],
    refused: DraftRefused,
) -> HTMLResponse:
    """Show the form again with each refusal beside its field and in the error summary; one
    about no field (a form not ours) is the summary's alone."""
    if not refused.field:
        return await _page(
            request, admin, actor, status=400, form=shown, chosen=chosen, error=refused.reason
        )
    problems = refused.refusals
    return await _page(
        request,
        admin,
        actor,
        status=400,
        form=shown,
        chosen=chosen,
        errors={p.field: p.reason for p in problems},
        details={p.field: p.detail for p in problems if p.detail},
    )


async def _count(
    request: Request,
    admin: Admin,
    actor: Actor,
    shown: dict[str, str],
    chosen: list[str],
    known: list[str],
) -> HTMLResponse:
    """Show how many people the chosen topics reach now, per frequency, each person once."""
    try:
        topics = read_topics(chosen, known)
    except DraftRefused as refused:
        return await _refused(request, admin, actor, shown, chosen, refused)
    async with admin.runtime.sessions() as session:
        reach = await subscriptions.reach_by_frequency(session, topics)
    return await _page(
        request,
        admin,
        actor,
        form=shown,
        chosen=chosen,
        reach=[(f.value, reach.get(f.value, 0)) for f in Frequency],
        reach_total=sum(reach.values()),
    )
