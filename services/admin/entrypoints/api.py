"""The admin JSON API under /api/v1/admin, for automation with bearer tokens."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from services.admin.adapters import audit_log
from services.admin.entrypoints import cursors, ledger_views
from services.admin.entrypoints.access import AdminDep, AuditorApi, OperatorApi, RoleGuard
from services.admin.entrypoints.api_problems import BadInput, Refusal, answering_refusals, problem
from services.admin.entrypoints.guard_first import guard_first
from services.admin.entrypoints.json_body import StrictJsonRoute
from services.admin.entrypoints.operations import dead_letters, digest_runs
from services.admin.entrypoints.refusals import Unusable
from services.mailer.read_api import mail_counts_per_day
from services.subscriptions import read_api as subscriptions
from services.watcher.read_api import source_statuses
from shared.db import transaction


async def _each_once(request: Request) -> None:
    """Refuse a query that names a parameter twice (400), saying which; after the token
    (guard_first.py), as every check of the input."""
    # FastAPI reads the last value and drops the others: a ledger export asked for with
    # ``topic=a&topic=b`` held only b's records and said nothing of it.
    params = request.query_params
    for name in params:
        if len(params.getlist(name)) > 1:
            raise BadInput(
                f"{name[:40]} is given more than once; each parameter takes one value "
                "(ask once per topic or action, and join the answers)",
                [problem(name, "given more than once")],
            )


# Declared for the OpenAPI document (a generated client, Swagger UI's «Authorize»); the role
# guard on each route reads the header itself and answers 401 or 403 in its own words.
ADMIN_TOKEN: Final = HTTPBearer(
    scheme_name="adminToken",
    description="a staff account's API token (`varsel admin create-token NAME`)",
    auto_error=False,
)
router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(_each_once), Security(ADMIN_TOKEN)],
    # 401 and 403 come before any answer about the query or the body; every refusal of the
    # input has one shape, the publisher API's (api_problems.py), and a body is read as the
    # publisher API reads one (json_body.py).
    route_class=answering_refusals(
        guard_first(lambda call: isinstance(call, RoleGuard), base=StrictJsonRoute)
    ),
    responses={
        401: {"description": "no live API token of an enabled account"},
        403: {"description": "the account's role does not grant this"},
        400: {"description": "a query parameter given more than once", "model": Refusal},
        422: {"description": "input that cannot be used: a reason per field", "model": Refusal},
    },
)
MAX_PAGE = 1000


def _refused(why: str) -> dict[int | str, dict[str, Any]]:
    """Return a route's 400 for the API document: ``why``, in the one shape of a refusal."""
    return {400: {"description": why, "model": Refusal}}


class AddressQuery(BaseModel):
    """A person, named by the address they signed up with."""

    # As every other body: a field this does not take (a topic, a day) is refused, not
    # ignored, so nobody takes a whole export for the part they asked for; and nothing is
    # converted (json_body.StrictJsonRoute refuses a body model that would).
    model_config = ConfigDict(extra="forbid", strict=True)

    address: str = Field(max_length=320)


def _subject(admin: AdminDep, raw: str) -> tuple[str, str]:
    try:
        return subscriptions.subject_of(admin.runtime.settings.secret_key, raw)
    except subscriptions.InvalidAddress as exc:
        # The address is not shown back: it may be a person's, and the caller has it.
        reason = "not a valid email address"
        raise BadInput(reason, [problem("address", reason)], 422) from exc


# What a route that reads a body answers of it besides the router's answers (json_body.py).
_BODY_ANSWERS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "two Content-Type headers, or a key given twice", "model": Refusal},
    415: {"description": "a body that is not JSON in UTF-8", "model": Refusal},
}


@router.post("/consent/lookup", responses=_BODY_ANSWERS)
async def consent_lookup(body: AddressQuery, admin: AdminDep, actor: AuditorApi) -> dict[str, Any]:
    """Return a person's consent timeline, also after erasure."""
    _, subject = _subject(admin, body.address)
    async with transaction(admin.runtime.sessions) as session:
        steps = await ledger_views.timeline(session, subject)
        actor.record(session, "consent_lookup", target=subject, details={"steps": len(steps)})
    return {"subject_hash": subject, "timeline": steps}


@router.post("/consent/export", responses=_BODY_ANSWERS)
async def consent_export(body: AddressQuery, admin: AdminDep, actor: AuditorApi) -> dict[str, Any]:
    """Return what varsel holds about a person (a subject access request)."""
    address, subject = _subject(admin, body.address)
    async with transaction(admin.runtime.sessions) as session:
        data = await ledger_views.subject_export(
            session, address, subject, admin.runtime.clock.now()
        )
        actor.record(session, "consent_export", target=subject)
    return data


def _position(name: str, cursor: str | None) -> tuple[datetime, int] | None:
    try:
        return cursors.decode(cursor)
    except Unusable as exc:
        raise BadInput(str(exc), [problem(name, str(exc), cursor)]) from exc


_DAY: Final = {"format": "date"}


class LedgerQuery:
    """The ledger filter in the query, declared so the OpenAPI schema (and its readers) know it.

    It is read by ledger_views.parse_filter, which the pages and the command line share.
    """

    def __init__(
        self,
        request: Request,
        topic: Annotated[str | None, Query(max_length=100, description="only this topic")] = None,
        action: Annotated[str | None, Query(max_length=40, description="only this step")] = None,
        # Read as text, so that a date in another spelling is refused with the pages' reason
        # (400, naming the field and the form) rather than the date type's own words (422).
        since: Annotated[
            str | None,
            Query(alias="from", description="first UTC day, YYYY-MM-DD", json_schema_extra=_DAY),
        ] = None,
        until: Annotated[
            str | None,
            Query(alias="to", description="last UTC day, YYYY-MM-DD", json_schema_extra=_DAY),
        ] = None,
    ) -> None:
        params = dict(request.query_params)
        try:
            self.where = ledger_views.parse_filter(params)
        except Unusable as exc:
            value = params.get(exc.field) if exc.field else None
            raise BadInput(str(exc), [problem(exc.field or "query", str(exc), value)]) from exc


Filter = Annotated[LedgerQuery, Depends()]
Cursor = Annotated[
    str | None, Query(max_length=100, description="the cursor of the page to read from")
]


@router.get(
    "/ledger",
    responses=_refused("a filter or cursor that cannot be used"),
)
async def ledger(
    query: Filter, admin: AdminDep, actor: AuditorApi, after: Cursor = None, limit: int = 100
) -> dict[str, Any]:
    """Return one page of the filtered ledger, newest first, and the cursor of the next."""
    where = query.where
    position = _position("after", after)
    async with transaction(admin.runtime.sessions) as session:
        rows, following = await subscriptions.ledger_page(
            session, where, after=position, limit=max(1, min(limit, MAX_PAGE))
        )
        actor.record(session, "ledger_read", details=ledger_views.filter_details(where))
    return {
        "records": [ledger_views.record_dict(r) for r in rows],
        "next": cursors.encode(*following) if following else None,
    }


@router.get(
    "/ledger.csv",
    responses=_refused("a filter that cannot be used"),
)
async def ledger_csv(query: Filter, admin: AdminDep, actor: AuditorApi) -> StreamingResponse:
    """Stream the filtered ledger as CSV, oldest first."""
    where = query.where
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "ledger_export", details=ledger_views.filter_details(where))
    return StreamingResponse(
        ledger_views.ledger_csv(admin.runtime.sessions, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="consent-ledger.csv"'},
    )


@router.get("/topics/{slug}")
async def topic(slug: str, admin: AdminDep, actor: AuditorApi, days: int = 30) -> dict[str, Any]:
    """Return a topic's subscriber counts and its daily activity."""
    catalogue = admin.runtime.catalogue
    # A topic that ended keeps its numbers: its followers' consent records remain.
    if catalogue.topic(slug) is None and catalogue.ended_topic(slug) is None:
        raise HTTPException(404, "no such topic")
    today = admin.runtime.clock.now().date()
    span = max(1, min(days, 366))
    async with transaction(admin.runtime.sessions) as session:
        numbers = await subscriptions.topic_statistics(
            session, slug, first_day=today - timedelta(days=span - 1), last_day=today
        )
        actor.record(session, "topic_stats_read", target=slug)
    return ledger_views.statistics_dict(numbers)


@router.get("/audit", responses=_refused("a cursor that cannot be used"))
async def audit_entries(
    admin: AdminDep, actor: AuditorApi, before: Cursor = None, limit: int = 100
) -> dict[str, Any]:
    """Return admin audit entries, newest first."""
    size = max(1, min(limit, MAX_PAGE))
    position = _position("before", before)
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "audit_read")  # first, so the reader sees their own read
        # One entry past the page tells whether another page holds any: a log of exactly
        # `limit` entries would otherwise end on a cursor to an empty page.
        entries = list(await audit_log.recent(session, before=position, limit=size + 1))
    page = entries[:size]
    return {
        "entries": [ledger_views.audit_dict(e) for e in page],
        "next": cursors.encode(page[-1].occurred_at, page[-1].id) if len(entries) > size else None,
    }


@router.get("/operations")
async def operations(admin: AdminDep, actor: OperatorApi, days: int = 14) -> dict[str, Any]:
    """Return the watched sources' health and mail counts per day (operators only)."""
    now = admin.runtime.clock.now()
    since = now - timedelta(days=max(1, min(days, 366)))
    async with transaction(admin.runtime.sessions) as session:
        sources = await source_statuses(session, now)
        mail = await mail_counts_per_day(session, since)
        digests = await digest_runs(session, admin, now)
        actor.record(session, "operations_read")
    return {
        "sources": [
            {
                **asdict(s),
                "topics": list(s.topics),
                "last_checked_at": s.last_checked_at.isoformat() if s.last_checked_at else None,
                "last_changed_at": s.last_changed_at.isoformat() if s.last_changed_at else None,
                "told_until": s.told_until.isoformat() if s.told_until else None,
            }
            for s in sources
        ],
        "mail_per_day": [
            {"day": m.day.isoformat(), "status": m.status, "count": m.count} for m in mail
        ],
        "digests": [
            {
                "frequency": d.frequency,
                "next_run_at": d.next_run_at.isoformat(),
                "last_run": d.last_key,
                "last_status": d.last_status,
                "last_finished_at": d.last_finished_at.isoformat() if d.last_finished_at else None,
                "last_deliveries": d.last_deliveries,
            }
            for d in digests
        ],
        "dead_letters": await dead_letters(admin),
    }
