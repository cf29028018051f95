"""Logging set-up: text or JSON lines, with email addresses redacted as a last line of defence.

The code never logs an address on purpose; the filter makes sure a library or an exception
message cannot leak one either.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_ADDRESS = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    """Replace anything that looks like an email address."""
    return _ADDRESS.sub("[address]", text)


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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr in the chosen format, redacting addresses."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactAddresses())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
