"""Capture what varsel's own logging set-up writes, at DEBUG, to search it for addresses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from shared.logs import configure_logging

# aiosmtpd is the test's own mail server standing in for the recipient's: its log is not ours.
FOREIGN_LOGGERS = ("mail.log",)


@contextmanager
def product_logs(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Log as varsel does (quietening drivers that echo SQL parameters) and collect the lines.

    The list is filled when the block ends: one line per record, with its logger and level.
    """
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging("DEBUG")
    root.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.handlers[:], root.level = before
        lines.extend(
            f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}"
            for r in caplog.records
            if r.name not in FOREIGN_LOGGERS
        )
