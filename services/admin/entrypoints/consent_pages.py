"""Auditor pages under /admin: overview, consent lookup and export, ledger, topics, audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup

from services.admin.adapters import audit_log
from services.admin.entrypoints import cursors, ledger_views
from services.admin.entrypoints.access import (
    AdminDep,
    AuditorPage,
    SignedInPage,
    language_of,
    posted_form,
)
from services.admin.entrypoints.chart import line_chart
from services.admin.entrypoints.refusals import Unusable
from services.admin.entrypoints.topic_titles import ended_title, shown_title
from services.admin.entrypoints.wording import CONSENT_CHART, ENDED_TOPIC, MESSAGES, PER_DAY
from services.subscriptions import read_api as subscriptions
from shared.db import transaction
from shared.i18n.translator import language_name
from shared.vocabulary import LANGUAGES, Frequency

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 50


@router.get("", response_class=HTMLResponse)
async def home(request: Request, admin: AdminDep, actor: SignedInPage) -> HTMLResponse:
    """Show the overview with the topics."""
    language = language_of(request)
    words = admin.words[language]
    current = admin.runtime.catalogue.current
    # Ended topics after the others: their numbers and consent records remain to be read.
    topics = [(t.slug, shown_title(t, language)) for t in current.topics] + [
        (t.slug, ended_title(words, t, language)) for t in current.ended
    ]
    return admin.render(request, "home.html", actor=actor.principal, topics=topics)


@router.get("/consent", response_class=HTMLResponse)
async def consent_form(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the consent lookup form."""
    return admin.render(
        request,
        "consent.html",
        actor=actor.principal,
        address="",
        error=None,
        errors={},
        steps=None,
    )


@router.post("/consent", response_class=HTMLResponse)
async def consent_lookup(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show a person's consent timeline, found by their address (also after erasure)."""
    fields = await posted_form(request, admin)
    raw = (fields or {}).get("address", "")
    context: dict[str, Any] = {
        "actor": actor.principal,
        "address": raw,
        "steps": None,
        "errors": {},
    }
    if fields is None:
        return admin.render(request, "consent.html", status_code=400, error="bad_form", **context)
    try:
        _, subject = subscriptions.subject_of(admin.runtime.settings.secret_key, raw)
    except subscriptions.InvalidAddress:
        # Beside the field and linked from the summary, which takes the focus (WCAG 3.3.1).
        context["errors"] = {"address": "invalid_address"}
        return admin.render(request, "consent.html", status_code=422, error=None, **context)
    async with transaction(admin.runtime.sessions) as session:
        steps = await ledger_views.timeline(session, subject)
        actor.record(session, "consent_lookup", target=subject, details={"steps": len(steps)})
    # Shown as every other staff page shows them: the minute in UTC, and topics by their titles
    # in the page's language (the export keeps the ledger's own values).
    context["steps"] = [
        {**step, "shown_at": datetime.fromisoformat(step["occurred_at"]).astimezone(UTC)}
        for step in steps
    ]
    return admin.render(
        request,
        "consent.html",
        error=None,
        subject=subject,
        titles=_titles(admin, request),
        **context,
    )


def _titles(admin: AdminDep, request: Request) -> dict[str, Markup]:
    """Return each topic's title in the page's language, an ended one marked ended."""
    language = language_of(request)
    words = admin.words[language]
    current = admin.runtime.catalogue.current
    return {t.slug: ended_title(words, t, language) for t in current.ended} | {
        t.slug: shown_title(t, language) for t in current.topics
    }


@router.post("/consent/export")
async def consent_export(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Download what varsel holds about a person as JSON (a subject access request)."""
    fields = await posted_form(request, admin)
    if fields is None:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    try:
        address, subject = subscriptions.subject_of(
            admin.runtime.settings.secret_key, fields.get("address", "")
        )
    except subscriptions.InvalidAddress:
        return admin.render(request, "forbidden.html", status_code=422, message="invalid_address")
    async with transaction(admin.runtime.sessions) as session:
        data = await ledger_views.subject_export(
            session, address, subject, admin.runtime.clock.now()
        )
        actor.record(session, "consent_export", target=subject)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="varsel-{subject[:12]}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/privacy/{version}/{language}", response_class=HTMLResponse)
async def privacy_notice(
    version: str, language: str, request: Request, admin: AdminDep, actor: AuditorPage
) -> HTMLResponse:
    """Show the exact privacy text of a version and language."""
    async with transaction(admin.runtime.sessions) as session:
        notice = await subscriptions.privacy_text(session, version[:40], language[:2])
        if notice is not None:  # a notice nobody was shown is no read of one
            actor.record(session, "privacy_notice_read", target=f"{version[:40]}/{language[:2]}")
    if notice is None:
        return admin.render(request, "forbidden.html", status_code=404, message="not_found")
    return admin.render(request, "notice.html", actor=actor.principal, notice=notice)


# The ledger filter's fields, each of which a refusal is shown beside.
_LEDGER_FIELDS = ("topic", "action", "from", "to")


@router.get("/ledger", response_class=HTMLResponse)
async def ledger(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the ledger filtered by topic, action and dates, one keyset page at a time."""
    params = dict(request.query_params)
    error: str | None = None
    errors: dict[str, str] = {}  # a refused field's name and why, shown beside it
    try:
        where = ledger_views.parse_filter(params)
        after = cursors.decode(params.get("after"))
    except Unusable as exc:
        # The first page, unfiltered, under the reason: a 400, as the API answers.
        where, after, error = subscriptions.LedgerFilter(), None, exc.key
        if exc.field in _LEDGER_FIELDS:
            errors = {exc.field: exc.key}
    async with transaction(admin.runtime.sessions) as session:
        rows, following = await subscriptions.ledger_page(
            session, where, after=after, limit=PAGE_SIZE
        )
        actor.record(session, "ledger_read", details=ledger_views.filter_details(where))
    kept = {k: v for k, v in params.items() if k != "after" and v}
    next_query = None
    if following is not None:
        next_query = urlencode({**kept, "after": cursors.encode(*following)})
    return admin.render(
        request,
        "ledger.html",
        actor=actor.principal,
        rows=[
            {**ledger_views.record_dict(r), "shown": ledger_views.details_shown(r.details)}
            for r in rows
        ],
        params=params,
        days={end: ledger_views.form_day(params.get(end)) for end in ("from", "to")},
        actions=ledger_views.ACTIONS,
        topics=_ledger_topics(admin, request),
        next_query=next_query,
        query=urlencode(kept),
        error=None if errors else error,  # a cursor's fault is the link's, not a field's
        errors=errors,
        status_code=400 if error else 200,
    )


def _ledger_topics(admin: AdminDep, request: Request) -> list[tuple[str, str]]:
    """Return the topics the ledger can be filtered by, as (slug, label): those people follow,
    then those that ended, whose consent records a data-protection officer still looks up."""
    words = admin.words[language_of(request)]
    current = admin.runtime.catalogue.current
    return [(t.slug, t.slug) for t in current.topics] + [
        (t.slug, words.gettext(ENDED_TOPIC, title=t.slug)) for t in current.ended
    ]


@router.get("/ledger.csv")
async def ledger_csv(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Download the filtered ledger as CSV, streamed."""
    try:
        where = ledger_views.parse_filter(dict(request.query_params))
    except Unusable as exc:
        return admin.render(request, "forbidden.html", status_code=400, message=exc.key)
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "ledger_export", details=ledger_views.filter_details(where))
    return StreamingResponse(
        ledger_views.ledger_csv(admin.runtime.sessions, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="consent-ledger.csv"'},
    )


@router.get("/topics/{slug}", response_class=HTMLResponse)
async def topic_page(
    slug: str, request: Request, admin: AdminDep, actor: AuditorPage
) -> HTMLResponse:
    """Show a topic's subscribers and daily activity as an SVG chart and a table."""
    catalogue, language = admin.runtime.catalogue, language_of(request)
    words = admin.words[language]
    # The heading marks a title that falls back to bokmål; <title> and the chart take no markup.
    if (topic := catalogue.topic(slug)) is not None:
        title, heading = topic.title_in(language), shown_title(topic, language)
    elif (ended := catalogue.ended_topic(slug)) is not None:
        title = words.gettext(ENDED_TOPIC, title=ended.title_in(language))
        heading = ended_title(words, ended, language)
    else:
        return admin.render(request, "forbidden.html", status_code=404, message="not_found")
    today = admin.runtime.clock.now().date()
    async with transaction(admin.runtime.sessions) as session:
        numbers = await subscriptions.topic_statistics(
            session, slug, first_day=today - timedelta(days=29), last_day=today
        )
        actor.record(session, "topic_stats_read", target=slug)
    labels = {str(s): words.gettext(MESSAGES[s]) for s in subscriptions.DAILY_SERIES}
    chart = line_chart(
        "chart",
        f"{title}: {words.gettext(PER_DAY)}",
        words.gettext(CONSENT_CHART),
        numbers.days,
        numbers.per_day,
        labels,
    )
    # Every rhythm and language, in their order and words, with 0 where nobody is: a table of
    # headings only said nothing, and keys such as "daily" are no words for a reader.
    frequencies = [(words.gettext(MESSAGES[f]), numbers.by_frequency.get(f, 0)) for f in Frequency]
    languages = [
        (code.value, language_name(code), numbers.by_language.get(code, 0)) for code in LANGUAGES
    ]
    languages += [(k, k, n) for k, n in sorted(numbers.by_language.items()) if k not in LANGUAGES]
    return admin.render(
        request,
        "topic.html",
        actor=actor.principal,
        title=title,
        heading=heading,
        stats=numbers,
        frequencies=frequencies,
        languages=languages,
        series=subscriptions.DAILY_SERIES,
        labels=labels,
        chart=chart,
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the admin audit log, newest first."""
    try:
        before = cursors.decode(request.query_params.get("before"))
    except Unusable as exc:
        return admin.render(request, "forbidden.html", status_code=400, message=exc.key)
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "audit_read")  # first, so the reader sees their own read
        # One entry past the page tells whether a next page holds any: a log of exactly 50
        # entries would otherwise end on a link to an empty page.
        entries = list(await audit_log.recent(session, before=before, limit=PAGE_SIZE + 1))
    more = None
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        more = cursors.encode(entries[-1].occurred_at, entries[-1].id)
    return admin.render(
        request,
        "audit.html",
        actor=actor.principal,
        entries=entries,
        more=more,
        paged=before is not None,
    )
