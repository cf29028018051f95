"""content.changed.v1 keeps its old shape for what a poll produces; a push says more."""

from __future__ import annotations

import json

from shared.events import ContentChanged, decode_event
from tests.unit.shared.change_support import POLLED


def test_a_polled_change_is_written_without_the_new_fields() -> None:
    written = json.loads(ContentChanged(**POLLED).model_dump_json())
    assert not {"note", "minor", "producer"} & set(written)
    assert decode_event("content.changed.v1", written) == ContentChanged(
        **POLLED, event_id=written["event_id"], occurred_at=written["occurred_at"]
    )


def test_a_pushed_change_carries_its_note_flag_and_producer_and_may_name_no_source() -> None:
    pushed = ContentChanged(
        **{**POLLED, "source_id": None},
        note="Skrivefeil rettet.",
        minor=True,
        producer="publisher",
    )
    written = json.loads(pushed.model_dump_json())
    assert written["note"] == "Skrivefeil rettet." and written["minor"] is True
    assert written["producer"] == "publisher" and written["source_id"] is None
    assert decode_event("content.changed.v1", pushed.model_dump_json()) == pushed
