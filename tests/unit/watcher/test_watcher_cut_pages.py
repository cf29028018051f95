"""Whether a page's HTML reaches its closing tags, whether its text is the stored text cut
short, and whether its answer was framed by anything but the connection's end."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from services.watcher.adapters.http_headers import ended_by_close
from services.watcher.domain.cut_pages import CUT_PAGE, cut_short, unclosed
from services.watcher.domain.failures import (
    CONTENT_PREFIX,
    Failure,
    FailureReason,
    failure_reason,
)

STORED = ("Råd om blåbær", "Ville bær er trygge å spise.", "Nytt om revebjelle", "Ikke spis.")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Tekst</p></body></html>",
        b"<html><body><p>Tekst</p></body>",  # no </html>, as many templates
        b"<html><body><p>Tekst</p></BODY >\n</html>\n<!-- 0.02 s -->\n<script>t()</script>\n",
    ],
    ids=["both", "body-only", "after-them"],
)
def test_a_page_that_reaches_its_closing_tags_is_closed(body: bytes) -> None:
    assert not unclosed(body)


@pytest.mark.parametrize(
    "body",
    [b"<html><body><p>Tekst om bl", b"<html><body><p>Tekst</p></bo", b""],
    ids=["mid-text", "mid-tag", "empty"],
)
def test_a_page_that_stops_before_them_is_unclosed(body: bytes) -> None:
    assert unclosed(body)


@pytest.mark.parametrize(
    "blocks",
    [
        STORED[:2],
        (*STORED[:3], "Ikke"),
        (*STORED[:2], "Nytt om reveb\u00c3"),  # a character's first byte read as windows-1252
    ],
    ids=["at-a-block", "mid-block", "ragged-end"],
)
def test_the_stored_text_cut_short_is_told(blocks: tuple[str, ...]) -> None:
    assert cut_short(blocks, STORED)


@pytest.mark.parametrize(
    "blocks",
    [
        STORED,  # the same text
        (*STORED, "Mer tekst."),  # longer
        ("Råd om tyttebær", "Ville bær er trygge å spise."),  # edited before the cut
        ("Ny side",),
    ],
    ids=["same", "longer", "edited", "other"],
)
def test_another_text_is_not_cut_short(blocks: tuple[str, ...]) -> None:
    assert not cut_short(blocks, STORED)


@pytest.mark.parametrize(
    ("headers", "by_close"),
    [
        ({}, True),
        ({"Content-Encoding": "identity"}, True),
        ({"Content-Length": "10"}, False),
        ({"Transfer-Encoding": "chunked"}, False),
        ({"Content-Encoding": "gzip"}, False),  # its stream's end is checked
    ],
    ids=["nothing", "identity", "length", "chunked", "gzip"],
)
def test_an_answer_framed_by_nothing_ends_by_close(headers: dict[str, str], by_close: bool) -> None:
    assert ended_by_close(CIMultiDictProxy(CIMultiDict(headers))) is by_close


def test_the_reason_is_read_back_for_the_admin() -> None:
    assert failure_reason(f"{CONTENT_PREFIX}{CUT_PAGE}") == FailureReason(
        Failure.PAGE_CUT_SHORT, {"polls": "3"}
    )
