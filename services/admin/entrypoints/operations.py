"""Operator pages: sources and their snapshot diffs, mail per day, digest runs, admin accounts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import handlers
from services.admin.domain.accounts import AdminError, InvalidStaffAddress, names_to_rename
from services.admin.entrypoints.access import (
    Actor,
    Admin,
    AdminDep,
    OperatorPage,
    language_of,
    posted_form,
)
from services.admin.entrypoints.chart import line_chart
from services.admin.entrypoints.diffview import diff_lines
from services.admin.entrypoints.typed_numbers import typed_number
from services.admin.entrypoints.wording import MAIL_CHART, MAIL_PER_DAY, MESSAGES
from services.mailer.read_api import (
    MAIL_SERIES,
    DigestSchedule,
    digest_schedule,
    mail_activity_per_day,
)
from services.watcher.read_api import snapshot_diff, source_ids, source_snapshots, source_statuses
from shared.db import transaction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", include_in_schema=False)
MAIL_DAYS = 14


async def dead_letters(admin: Admin) -> int | None:
    """Count the messages in the broker's dead-letter queues; None without a broker."""
    # None from the in-process bus, which keeps failed events in the outbox instead.
    try:
        return await admin.runtime.bus.dead_letter_count()
    except Exception:  # the broker being down must not take the operations page with it
        log.warning("admin: could not count dead letters", exc_info=True)
        return None


async def digest_runs(session: AsyncSession, admin: Admin, now: datetime) -> list[DigestSchedule]:
    """Return the next and the latest run of each digest, at the configured hour and zone."""
    settings = admin.runtime.settings
    return await digest_schedule(
        session,
        now,
        timezone=settings.timezone,
        hour=settings.digest_hour,
        weekday=settings.digest_weekday,
    )


@router.get("/operations", response_class=HTMLResponse)
async def operations(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Show sources, mail per day (chart and table), the next digest runs and the queues."""
    language = language_of(request)
    settings, now = admin.runtime.settings, admin.runtime.clock.now()
    today = now.date()
    async with transaction(admin.runtime.sessions) as session:
        sources = await source_statuses(session, now)
        ids = await source_ids(session)
        mail = await mail_activity_per_day(session, today - timedelta(days=MAIL_DAYS - 1), today)
        digests = await digest_runs(session, admin, now)
        actor.record(session, "operations_read")
    words = admin.words[language]
    labels = {s: words.gettext(MESSAGES[s]) for s in MAIL_SERIES}
    chart = line_chart(
        "mail-chart",
        words.gettext(MAIL_PER_DAY),
        words.gettext(MAIL_CHART),
        mail.days,
        mail.per_day,
        labels,
    )
    zone = ZoneInfo(settings.timezone)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return admin.render(
        request,
        "operations.html",
        actor=actor.principal,
        sources=[(s, ids.get(s.url)) for s in sources],
        mail=mail,
        series=MAIL_SERIES,
        labels=labels,
        chart=chart,
        digests=digests,
        local=local,
        timezone=settings.timezone,
        dead_letters=await dead_letters(admin),
    )


# Row ids are 64-bit integers in the database.
_LAST_ID: Final = 2**63 - 1
_ID_DIGITS: Final = 18  # below _LAST_ID, so no id read overflows the database's integer


@router.get("/sources/{source_id}/diff", response_class=HTMLResponse)
async def source_diff(
    raw_id: Annotated[str, Path(alias="source_id")],
    request: Request,
    admin: AdminDep,
    actor: OperatorPage,
) -> HTMLResponse:
    """Show a source's snapshots to pick two, and the differences between the two picked."""
    # Read here, not by FastAPI: «abc» or «1.5» got its 422 in JSON, in English, in a browser.
    source_id = typed_number(raw_id, _ID_DIGITS)
    if source_id is None or not 0 < source_id <= _LAST_ID:
        # No row has such an id; asking the database would overflow its integer instead.
        return admin.render(request, "forbidden.html", status_code=400, message="bad_source_id")
    raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
    from_id, to_id = typed_number(raw_from, _ID_DIGITS), typed_number(raw_to, _ID_DIGITS)
    asked = raw_from is not None or raw_to is not None
    context: dict[str, Any] = {"actor": actor.principal, "from_id": from_id, "to_id": to_id}
    async with transaction(admin.runtime.sessions) as session:
        source = await source_snapshots(session, source_id)
        unified = None
        if source is not None and from_id is not None and to_id is not None:
            unified = await snapshot_diff(session, source_id, from_id, to_id)
        actor.record(
            session,
            "snapshot_diff_read",
            target=str(source_id),
            # The ids read, never the values as typed: whatever is typed into an address (an
            # email address, 30,000 digits, a line break) would be kept for good.
            details={"from": from_id, "to": to_id} if asked else None,
        )
    if source is None:
        return admin.render(
            request, "forbidden.html", status_code=404, message="source_not_found", **context
        )
    context["source"] = source
    if not asked:
        return admin.render(request, "diff.html", error=None, lines=None, **context)
    if from_id is None or to_id is None:
        return admin.render(
            request, "diff.html", status_code=400, error="bad_snapshot_ids", lines=None, **context
        )
    if unified is None:
        return admin.render(
            request,
            "diff.html",
            status_code=404,
            error="snapshot_not_found",
            lines=None,
            **context,
        )
    return admin.render(request, "diff.html", error=None, lines=diff_lines(unified), **context)


@router.get("/users", response_class=HTMLResponse)
async def users(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """List the admin accounts: name, role, email, created, last login and whether disabled."""
    return await _users_page(request, admin, actor)


async def _users_page(
    request: Request,
    admin: Admin,
    actor: Actor,
    *,
    status_code: int = 200,
    error: str | None = None,
    outcome: str | None = None,
    edited: str | None = None,
) -> HTMLResponse:
    async with transaction(admin.runtime.sessions) as session:
        accounts = await handlers.list_users(session)
        actor.record(session, "users_listed")
    return admin.render(
        request,
        "users.html",
        status_code=status_code,
        actor=actor.principal,
        accounts=accounts,
        # Names taken before create-user refused them (229278f): each to rename, and why.
        to_rename=names_to_rename([account.name for account in accounts]),
        error=error,
        outcome=outcome,
        edited=edited,
    )


_ADDRESS_ERRORS = {"error_email_local_not_ascii": "address_not_ascii"}


@router.post("/users/email", response_class=HTMLResponse)
async def set_user_email(request: Request, admin: AdminDep, actor: OperatorPage) -> HTMLResponse:
    """Give an account an email address for its own mail, or remove it (an empty field)."""
    fields = await posted_form(request, admin)
    if fields is None or not fields.get("name"):
        return await _users_page(request, admin, actor, status_code=400, error="bad_form")
    name, address = fields["name"], fields.get("email", "")
    try:
        async with transaction(admin.runtime.sessions) as session:
            smtp_utf8 = admin.runtime.settings.smtp_utf8
            if await handlers.set_email(session, name, address, smtp_utf8=smtp_utf8):
                # Whether there is an address, never the address: the log is kept for years.
                actor.record(
                    session, "user_email_set", target=name, details={"email": bool(address)}
                )
    except InvalidStaffAddress as refused:
        # The page's own words for an address the relay cannot send to, as sign-up's.
        error = _ADDRESS_ERRORS.get(refused.reason, "invalid_address")
        return await _users_page(request, admin, actor, status_code=422, error=error, edited=name)
    except AdminError:
        return await _users_page(request, admin, actor, status_code=404, error="no_such_user")
    return await _users_page(request, admin, actor, outcome="email_saved", edited=name)
