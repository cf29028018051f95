"""A PDF whose text takes longer to read than its budget fails, and the same bytes are not read
again at the next poll; changed bytes are."""

from __future__ import annotations

from typing import Any

import pytest

import services.watcher.body_reading as body_reading
from services.watcher.domain import extract_pdf
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.pdfs import dense_pdf


async def test_a_pdf_read_past_its_budget_is_not_read_again_until_its_bytes_change(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_pdf, "PDF_BUDGET_SECONDS", 0.05)
    real = body_reading.parse_content
    reads: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(body_reading, "parse_content", counted)
    site.set("/r.pdf", Route(dense_pdf(30_000), "application/pdf"))
    source = await harness.add_source(site.url("/r.pdf"), kind="pdf")

    outcomes = [await poll(harness.deps, source) for _ in range(3)]

    # Each poll read the same bytes again, for 30 s of the thread every feed and PDF waits on.
    assert outcomes == ["failed"] * 3
    assert len(reads) == 1
    row = await harness.source(source)
    assert (row.status, row.consecutive_failures) == ("failing", 3)
    assert row.last_error is not None
    assert row.last_error.startswith("no usable content: pdf: unreadable PDF (reading its text")
    assert row.last_error.endswith("the same bytes as then, not read again)")

    site.set("/r.pdf", Route(dense_pdf(30_001), "application/pdf"))  # new bytes: tried again
    assert await poll(harness.deps, source) == "failed"
    assert len(reads) == 2
    assert await poll(harness.deps, source) == "failed"
    assert len(reads) == 2

    site.set("/r.pdf", Route(dense_pdf(100), "application/pdf"))
    assert await poll(harness.deps, source) == "baseline"
    row = await harness.source(source)
    assert (row.status, row.consecutive_failures, row.last_error) == ("ok", 0, None)
    assert await harness.events() == []
