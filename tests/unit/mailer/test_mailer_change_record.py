"""The mailer's record of a change: its words cleaned whoever produced the event."""

from __future__ import annotations

from services.mailer.adapters.tables import ChangeRecord
from shared.events import ContentChanged
from tests.unit.shared.change_support import POLLED


def test_a_title_is_kept_as_one_line_and_no_text_keeps_a_bidirectional_override() -> None:
    # As a producer that cleans nothing (an older watcher, a hand-made event) might send it.
    title = "  Ny\r\nrapport\u2029\u202efdp.tropper\u202c\x85i dag\t"
    summary = "Første\u202e linje.\nAndre\u2067 linje."
    event = ContentChanged(**{**POLLED, "title": title, "summary": summary}, note="Notat\u202d.")
    record = ChangeRecord.of(event)
    assert record.title == "Ny rapport fdp.tropper i dag"
    assert record.summary == "Første linje.\nAndre linje."
    assert record.note == "Notat."
