"""Log lines: JSON fields, request and event ids from context, addresses never written."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared.logs import (
    accepted_request_id,
    build_handler,
    configure_logging,
    event_context,
    new_request_id,
    request_context,
)

ADDRESS = "kari.nordmann@example.no"


class Captured:
    """A logger whose output is kept in memory."""

    def __init__(self, fmt: str) -> None:
        self.stream = io.StringIO()
        self.logger = logging.getLogger(f"test.logs.{fmt}.{id(self)}")
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)
        self.handler = build_handler(fmt, self.stream)
        self.logger.addHandler(self.handler)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def close(self) -> None:
        self.logger.removeHandler(self.handler)


@pytest.fixture
def json_log() -> Iterator[Captured]:
    captured = Captured("json")
    yield captured
    captured.close()


@pytest.fixture
def text_log() -> Iterator[Captured]:
    captured = Captured("text")
    yield captured
    captured.close()


def test_a_plain_line_has_the_base_fields_and_no_ids(json_log: Captured) -> None:
    json_log.logger.info("started %d workers", 3)

    [line] = json_log.records()
    assert line["message"] == "started 3 workers"
    assert line["level"] == "info"
    assert line["logger"] == json_log.logger.name
    assert line["time"].endswith("+00:00")
    assert not {"request_id", "event_id", "event_type"} & line.keys()


def test_lines_inside_a_request_carry_its_id_and_lines_after_it_do_not(
    json_log: Captured,
) -> None:
    with request_context("req-1"):
        json_log.logger.info("inside")
    json_log.logger.info("after")

    inside, after = json_log.records()
    assert inside["request_id"] == "req-1"
    assert "request_id" not in after


def test_lines_while_an_event_is_handled_carry_its_id_and_type(json_log: Captured) -> None:
    with request_context("req-2"), event_context("e-1", "content.changed.v1"):
        json_log.logger.warning("handling")
        with event_context("e-2", "subscriber.erased.v1"):
            json_log.logger.warning("nested")
        json_log.logger.warning("back")

    handling, nested, back = json_log.records()
    assert (handling["event_id"], handling["event_type"]) == ("e-1", "content.changed.v1")
    assert (nested["event_id"], nested["event_type"]) == ("e-2", "subscriber.erased.v1")
    assert back["event_id"] == "e-1"
    assert {line["request_id"] for line in (handling, nested, back)} == {"req-2"}


async def test_tasks_started_while_handling_a_request_keep_its_id(json_log: Captured) -> None:
    async def child() -> None:
        await asyncio.sleep(0)
        json_log.logger.info("from a task")

    with request_context("req-3"):
        task = asyncio.create_task(child())
    json_log.logger.info("outside")
    await task

    by_message = {line["message"]: line for line in json_log.records()}
    assert by_message["from a task"]["request_id"] == "req-3"
    assert "request_id" not in by_message["outside"]


async def test_concurrent_requests_do_not_mix_their_ids(json_log: Captured) -> None:
    async def request(request_id: str) -> None:
        with request_context(request_id):
            for step in range(3):
                await asyncio.sleep(0)
                json_log.logger.info("%s step %d", request_id, step)

    await asyncio.gather(*(request(f"r{n}") for n in range(5)))

    lines = json_log.records()
    assert len(lines) == 15
    assert all(line["message"].startswith(line["request_id"] + " ") for line in lines)


def test_an_address_is_never_written_in_the_message_the_exception_or_an_id(
    json_log: Captured,
) -> None:
    with request_context("req-4"), event_context("e-3", "subscriber.confirmed.v1"):
        json_log.logger.info("sending to %s", ADDRESS)
        try:
            raise ValueError(f"refused <{ADDRESS}>")
        except ValueError:
            json_log.logger.exception("failed")
    # Ids are validated on the way in; this proves the formatter is a second guard anyway.
    json_log.logger.info("odd", extra={"request_id": ADDRESS})

    output = json_log.stream.getvalue()
    assert ADDRESS not in output
    sent, failed, odd = json_log.records()
    assert sent["message"] == "sending to [address]"
    assert "[address]" in failed["exception"]
    assert failed["event_id"] == "e-3"
    assert odd["request_id"] == "[address]"


@pytest.mark.parametrize(
    "address",
    [
        "kari@example.рф",
        "kåre@eksempel.no",
        "kari@example.xn--p1ai",
        "ola.n+varsel@sub.fhi.no",
        "kari@example.भारत",  # top-level domains with combining marks
        "kari@example.இந்தியா",
    ],
)
def test_an_address_of_any_script_is_redacted(json_log: Captured, address: str) -> None:
    json_log.logger.warning("cannot store %s", address)
    [line] = json_log.records()
    assert line["message"] == "cannot store [address]"


def test_text_lines_show_the_ids_in_brackets(text_log: Captured) -> None:
    with request_context("req-5"), event_context("e-4", "content.changed.v1"):
        text_log.logger.info("mail to %s queued", ADDRESS)
    text_log.logger.info("plain")

    tagged, plain = text_log.lines()
    assert tagged.endswith(
        "mail to [address] queued [request_id=req-5 event_id=e-4 event_type=content.changed.v1]"
    )
    assert plain.endswith("plain")


@pytest.mark.parametrize(
    "value",
    ["abc-123", "0f8fa2c4e1b44b7f9d3c2a1b0e9d8c7f", "trace:01.ab_c", "A" * 128],
)
def test_a_sane_incoming_request_id_is_kept(value: str) -> None:
    assert accepted_request_id(value) == value


@pytest.mark.parametrize(
    "value",
    [None, "", "has space", ADDRESS, "line\nbreak", 'quo"te', "A" * 129, "-leading-dash", "å"],
)
def test_an_odd_incoming_request_id_is_refused(value: str | None) -> None:
    assert accepted_request_id(value) is None


def test_generated_request_ids_are_sane_and_distinct() -> None:
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(accepted_request_id(i) == i for i in ids)


def test_readiness_probes_do_not_fill_the_log_with_alembic_chatter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "text")
        migration_log = logging.getLogger("alembic.runtime.migration")
        migration_log.info("Context impl PostgresqlImpl.")
        migration_log.info("Will assume transactional DDL.")
        migration_log.info("Running upgrade 0002 -> 0003, admin accounts")
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert "Context impl" not in err and "Will assume" not in err
    assert "Running upgrade 0002 -> 0003" in err


def test_a_damaged_reports_mending_is_not_logged_at_every_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A truncated PDF: pypdf warned «EOF marker not found» at every poll, naming no source.
    from services.watcher.domain.content import ContentError, parse_content
    from tests.support.pdfs import lines_pdf

    truncated = lines_pdf(["Rapport om helse og omsorg i kommunene."])[:-30]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "text")
        with contextlib.suppress(ContentError):
            parse_content("pdf", truncated)
        logging.getLogger("pypdf").error("a failure of pypdf's own")
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert "EOF marker" not in err
    assert "a failure of pypdf's own" in err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", ["a" * 1_000_000, "a@" + "b." * 500_000])
def test_long_text_without_an_address_is_searched_in_linear_time(text: str) -> None:
    # Unbounded, the search took 16 s for 100 kB of such text, so about half an hour here.
    from shared.logs import redact

    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("kontakt person4\uff20example.org", "kontakt [address]"),  # a fullwidth ＠
        ("kari\ufe6bfhi.no i dag", "[address] i dag"),  # a small ﹫
        ("kari@fhi\uff0eno", "[address]"),  # a fullwidth full stop
        ("kari@fhi\ufe52no", "[address]"),
        ("kari@fhi\u2024no", "[address]"),  # one dot leader
        ("kari@fhi\u3002no", "[address]"),  # an ideographic full stop, a dot to IDNA
        ("\uff4b\uff41\uff52\uff49\uff20\uff46\uff48\uff49\uff0e\uff4e\uff4f", "[address]"),
        ("sak 2026\uff0f117, svar \uff20 mandag.", "sak 2026\uff0f117, svar \uff20 mandag."),
    ],
)
def test_an_address_written_in_compatibility_characters_is_redacted(text: str, kept: str) -> None:
    from shared.logs import redact

    assert redact(text) == kept


def test_every_character_nfkc_folds_to_an_at_sign_or_a_dot_is_matched_as_one() -> None:
    # The sets are written out (deriving them at import would read all of Unicode at start-up);
    # this keeps them whole when Unicode grows.
    import sys
    import unicodedata

    from shared.logs import AT_SIGNS, DOTS

    def folding_to(mark: str) -> set[str]:
        every = (chr(c) for c in range(sys.maxunicode + 1))
        return {c for c in every if unicodedata.normalize("NFKC", c) == mark}

    assert folding_to("@") == set(AT_SIGNS)
    assert folding_to(".") | {"\u3002", "\uff61"} == set(DOTS)  # and IDNA's dots (UTS 46)
