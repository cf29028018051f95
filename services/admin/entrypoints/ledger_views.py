"""What the staff side shows as data: ledger timelines, filters, CSV slices, exports, numbers.

Every read of the ledger goes through the subscriptions service's ``read_api``; this module only
turns what it returns into the JSON, CSV and filters that pages, the API and the command line
share.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.action_wording import LEDGER_DETAIL_VALUES, LEDGER_DETAILS
from services.admin.entrypoints.refusals import Unusable
from services.subscriptions import read_api
from services.subscriptions.read_api import LedgerFilter, LedgerRecord, TopicStatistics
from shared.catalogue_entries import is_slug
from shared.logs import redact

ACTIONS: Final = read_api.LEDGER_ACTIONS
NOTICE_SHOWN: Final = read_api.NOTICE_SHOWN
CSV_COLUMNS: Final = (
    "id",
    "occurred_at",
    "subject_hash",
    "action",
    "topics",
    "frequency",
    "language",
    "privacy_version",
    "privacy_hash",
    "page",
    "channel",
    "token_id",
    # Appended after the first twelve, which consumers read by position too: each step's
    # details, as the consent page and the JSON export show them (docs/privacy.md names each).
    "notice_shown",
    "actor",
    "reason",
    "details",
)
# UTF-8's byte order mark, first in every CSV export: Excel opened by a double click reads a
# file without it in the machine's legacy code page, and garbles æ, ø and å (Django's and
# GOV.UK's exports for Excel write it too). Python reads it back with "utf-8-sig".
CSV_BOM: Final = "\ufeff"
_BATCH: Final = 1000
_FORMULA_STARTS: Final = frozenset("=+-@\t\r")
# The one spelling of a day a filter takes: date.fromisoformat also reads 20261205 and
# 2026-W49-6, which no form or reader writes and a typing slip can make.
_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A topic's slug is kept in columns of 100 characters; the staff API's filter takes as many.
TOPIC_FILTER_CHARS: Final = 100


def filter_details(where: LedgerFilter) -> dict[str, str | None]:
    """Return a filter as the audit log records it."""
    return {
        "topic": where.topic,
        "action": where.action,
        "since": where.since.isoformat() if where.since else None,
        "until": where.until.isoformat() if where.until else None,
    }


def record_dict(record: LedgerRecord) -> dict[str, Any]:
    """Return a ledger row as JSON-ready data."""
    return {
        "id": record.id,
        "occurred_at": record.occurred_at.isoformat(),
        "subject_hash": record.subject_hash,
        "action": record.action,
        "topics": list(record.topics),
        "frequency": record.frequency,
        "language": record.language,
        "privacy_version": record.privacy_version,
        "privacy_hash": record.privacy_hash,
        "page": record.page,
        "channel": record.channel,
        "token_id": record.token_id,
        "details": record.details,
    }


async def timeline(session: AsyncSession, subject_hash: str) -> list[dict[str, Any]]:
    """Return a person's consent history, oldest first, with the privacy text each step used."""
    steps = []
    for step in await read_api.timeline(session, subject_hash):
        data = record_dict(step.record)
        notice = step.notice
        data["privacy_notice"] = (
            {
                "version": notice.version,
                "language": notice.language,
                "sha256": notice.sha256,
                "matches_hash": notice.matches_hash,
            }
            if notice is not None
            else None
        )
        steps.append(data)
    return steps


def spreadsheet_safe(value: object) -> object:
    """Return a CSV cell a spreadsheet will not run: text starting a formula gets a leading '."""
    # OWASP's advice for CSV injection: the characters that start a formula (or, for tab and
    # carriage return, let a spreadsheet skip to one) are neutralised by an apostrophe.
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def _csv_line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([spreadsheet_safe(v) for v in values])
    return buffer.getvalue()


async def ledger_csv(
    sessions: async_sessionmaker[AsyncSession], where: LedgerFilter
) -> AsyncIterator[str]:
    """Stream the filtered ledger as CSV (UTF-8 with a byte order mark), oldest first, one short
    transaction per batch."""
    # The mark goes before the header's first cell, outside it: no formula quoting sees it.
    yield CSV_BOM + _csv_line(CSV_COLUMNS)
    after: tuple[datetime, int] | None = None
    while True:
        async with sessions() as session:
            rows, after = await read_api.ledger_page(
                session, where, after=after, limit=_BATCH, newest_first=False
            )
        for record in rows:
            data = record_dict(record)
            data["topics"] = " ".join(data["topics"])
            data.update(_details_cells(record.details))
            yield _csv_line([data[column] for column in CSV_COLUMNS])
        if after is None:
            return


def _details_cells(details: Mapping[str, Any] | None) -> dict[str, str]:
    """Return a step's details as the CSV's last four cells, "" where the step says nothing."""
    details = details or {}
    shown = details.get(NOTICE_SHOWN)
    # Every key stays in "details", so a key added later is exported before it has a column.
    # The ledger holds no address (reasons and staff names refuse one where typed); an address
    # that got in by some other way still never leaves in a file passed from hand to hand.
    return {
        "notice_shown": "" if shown is None else json.dumps(shown),
        "actor": redact(str(details.get("actor") or "")),
        "reason": redact(str(details.get("reason") or "")),
        "details": redact(json.dumps(details, ensure_ascii=False, sort_keys=True))
        if details
        else "",
    }


@dataclass(frozen=True, slots=True)
class DetailShown:
    """One of a step's details as the ledger page shows it: ``label`` and ``words`` are English
    source texts the page translates, None where it shows ``key`` or ``value`` as stored."""

    key: str
    value: str
    label: str | None
    words: str | None


# The details the CSV gives columns of, first and in their order; any other key after them.
_DETAILS_FIRST: Final = (NOTICE_SHOWN, "actor", "reason")


def details_shown(details: Mapping[str, Any] | None) -> list[DetailShown]:
    """Return a step's details as the ledger page lists them, an address in any written as the
    CSV writes it: «[address]»."""
    details = details or {}
    keys = [k for k in _DETAILS_FIRST if k in details]
    keys += sorted(k for k in details if k not in _DETAILS_FIRST)
    shown = []
    for key in keys:
        raw = details[key]
        value = redact(
            raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, sort_keys=True)
        )
        words = LEDGER_DETAIL_VALUES.get((key, value))
        shown.append(DetailShown(redact(key), value, LEDGER_DETAILS.get(key), words))
    return shown


async def subject_export(
    session: AsyncSession, address: str, subject_hash: str, now: datetime
) -> dict[str, Any]:
    """Return what varsel holds about a person: their current data, if any, and consent history."""
    held = await read_api.held_about(session, address)
    current: dict[str, Any] | None = None
    if held is not None:
        current = {
            "id": str(held.id),
            "email": held.email,
            "language": held.language,
            "frequency": held.frequency,
            "status": held.status,
            "created_at": held.created_at.isoformat(),
            "confirmed_at": _iso(held.confirmed_at),
            "hard_bounces": held.hard_bounces,
            "frequency_since": _iso(held.frequency_since),
            "subscriptions": [
                {
                    "topic": s.topic,
                    "started_at": s.started_at.isoformat(),
                    "ended_at": _iso(s.ended_at),
                    "ended_reason": s.ended_reason,
                }
                for s in held.subscriptions
            ],
            "signup_requests": [
                {
                    "topics": list(r.topics),
                    "frequency": r.frequency,
                    "language": r.language,
                    "page": r.page,
                    "privacy_version": r.privacy_version,
                    "created_at": r.created_at.isoformat(),
                    "confirmed_at": _iso(r.confirmed_at),
                }
                for r in held.signup_requests
            ],
        }
    return {
        "exported_at": now.isoformat(),
        "subject_hash": subject_hash,
        "subscriber": current,
        "consent_history": await timeline(session, subject_hash),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parse_filter(params: Mapping[str, str]) -> LedgerFilter:
    """Read a ledger filter from query parameters (dates are whole UTC days); raise Unusable."""
    topic = params.get("topic") or None
    # A longer one is no topic's: on SQLite its LIKE pattern was «too complex» (a 500), and a
    # shorter one long enough filled the audit log at every request.
    if topic is not None and (len(topic) > TOPIC_FILTER_CHARS or not is_slug(topic)):
        said = f"topic must be a topic's slug (at most {TOPIC_FILTER_CHARS} characters)"
        raise Unusable("bad_filter", said, "topic")
    action = params.get("action") or None
    if action is not None and action not in ACTIONS:
        raise Unusable("bad_filter", f"action must be one of {', '.join(ACTIONS)}", "action")
    since = _day("from", params.get("from"))
    until = _day("to", params.get("to"))
    if since and until and since > until:
        # Dates typed the wrong way round would find nothing, and say so as if none were there.
        raise Unusable("dates_reversed", "from must be on or before to", "from")
    try:
        end = until + timedelta(days=1) if until else None
    except OverflowError:
        raise Unusable("bad_date", "the last date a filter can use is 9999-12-30", "to") from None
    return LedgerFilter(topic=topic, action=action, since=since, until=end)


def form_day(value: str | None) -> str:
    """Return a filter's day as a date field may hold it again: itself if it is one, else ""."""
    try:
        return value if value and _day("day", value) else ""
    except Unusable:
        return ""  # no calendar has it: refused, and a date field cannot hold it


def _day(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        reason = f"{name} must be a day written YYYY-MM-DD, not {value[:20]!r}"
        raise Unusable("bad_date", reason, name) from None
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def statistics_dict(numbers: TopicStatistics) -> dict[str, Any]:
    """Return a topic's numbers as JSON-ready data."""
    return {
        "topic": numbers.topic,
        "subscribers_by_frequency": numbers.by_frequency,
        "subscribers_by_language": numbers.by_language,
        "per_day": [
            {
                "day": day.isoformat(),
                **{str(s): numbers.per_day[s][i] for s in read_api.DAILY_SERIES},
            }
            for i, day in enumerate(numbers.days)
        ],
    }


def audit_dict(entry: AdminAuditEntry) -> dict[str, Any]:
    """Return an audit log entry as JSON-ready data."""
    return {
        "id": entry.id,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "client": entry.client,
        "details": entry.details,
    }
