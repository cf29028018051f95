"""Logging set-up: text or JSON lines, with email addresses redacted as a last line of defence.

The code never logs an address on purpose; the filter makes sure a library or an exception
message cannot leak one either.

Every line written while an HTTP request is handled carries that request's id, and every line
written while an event is published or handled carries the event's id and type, so one request
or one event can be followed through the logs of every process. The ids live in context
variables: asyncio copies them into tasks started from the request or the event.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

# The top-level domain in any script, combining marks included (sign-up accepts
# internationalised domains, as email-validator does), or in its ASCII form (xn--...). Each
# part is bounded as an address's are (64 and 255 characters): unbounded, a long run of text
# with no "@" took quadratic time to search, 16 s for 100 kB.
#
# An "@" or "." may be written as a compatibility character that NFKC folds to it (＠, ﹫, ．,
# ﹒, ․) or that IDNA reads as a dot (。, ｡): «kari＠example．org» reads as an address to a
# person and reaches one when pasted into a mail program. Matched here as they are, rather than
# by folding the text first, so that what is kept around an address stays as written; a test
# derives the set from Unicode's own tables.
AT_SIGNS = "@\ufe6b\uff20"
DOTS = ".\u2024\u3002\ufe52\uff0e\uff61"
_ADDRESS = re.compile(
    rf"[^\s<>\"'(),;:{AT_SIGNS}]{{1,64}}[{AT_SIGNS}][^\s<>\"'(),;:{AT_SIGNS}]{{1,255}}"
    rf"[{DOTS}](?:xn--[A-Za-z0-9-]+|[^\W\d_][^\s\d<>\"'(),;:{AT_SIGNS}{DOTS}]+)"
)
# A caller's request id is kept only if it is a plain token: no spaces, quotes or "@".
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

REQUEST_ID_HEADER = "X-Request-ID"

_request_id: ContextVar[str | None] = ContextVar("varsel_request_id", default=None)
_event: ContextVar[tuple[str, str] | None] = ContextVar("varsel_event", default=None)


def redact(text: str) -> str:
    """Replace anything that looks like an email address."""
    return _ADDRESS.sub("[address]", text)


def accepted_request_id(value: str | None) -> str | None:
    """Return an incoming request id if it is a sane token, otherwise None."""
    if value is None or not _SANE_REQUEST_ID.fullmatch(value):
        return None
    return value


def new_request_id() -> str:
    """Make a fresh request id."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """Return the id of the request being handled, if any."""
    return _request_id.get()


def current_event() -> tuple[str, str] | None:
    """Return (event id, event type) of the event being handled or published, if any."""
    return _event.get()


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Tag every log line written inside the block with ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextmanager
def event_context(event_id: object, event_type: str) -> Iterator[None]:
    """Tag every log line written inside the block with an event's id and type."""
    token = _event.set((str(event_id), event_type))
    try:
        yield
    finally:
        _event.reset(token)


class RedactAddresses(logging.Filter):
    """Rewrites each record's message so no address reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


class ContextIds(logging.Filter):
    """Stamps each record with the current request id and event, if any.

    Stamped when the record is emitted, so the ids survive a handler that formats later.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        event = _event.get()
        if event is not None and not hasattr(record, "event_id"):
            record.event_id, record.event_type = event
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("request_id", "event_id", "event_type"):
            value = getattr(record, key, None)
            if value is not None:
                data[key] = redact(str(value))
        if record.exc_text:
            data["exception"] = redact(record.exc_text)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line, with the request or event ids in brackets when there are any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{key}={getattr(record, key)}"
            for key in ("request_id", "event_id", "event_type")
            if getattr(record, key, None) is not None
        ]
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{' '.join(ids)}]{newline}{rest}"


def build_handler(fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """Build a handler in the chosen format that stamps ids and redacts addresses."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextIds())
    handler.addFilter(RedactAddresses())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return handler


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr in the chosen format, redacting addresses."""
    root = logging.getLogger()
    root.handlers[:] = [build_handler(fmt)]
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "aiosqlite", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # pypdf warns of what it mends in a damaged file («EOF marker not found») at every read,
    # naming no source: the watcher's own line says which report failed, and how often.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # Alembic announces its dialect every time a schema revision is read, which /readyz does on
    # every probe; keep its lines about migrations actually run.
    migration_log = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _AlembicChatter) for f in migration_log.filters):
        migration_log.addFilter(_AlembicChatter())


class _AlembicChatter(logging.Filter):
    """Drop Alembic's per-connection dialect lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))
