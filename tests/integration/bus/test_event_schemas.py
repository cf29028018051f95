"""The published JSON schemas in docs/events/ match the event contracts in shared.events.

After a deliberate contract change (a new event or a new version), regenerate them with
``VARSEL_WRITE_EVENT_SCHEMAS=1 .venv/bin/pytest tests/integration/bus/test_event_schemas.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from shared.events import EVENT_TYPES

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "events"


def expected_schemas() -> dict[str, dict[str, Any]]:
    """Build each contract's JSON schema, keyed by its file name."""
    return {
        f"{name}.json": {
            "$id": f"{name}.json",
            "title": name,
            "description": (cls.__doc__ or "").strip(),
            **{
                k: v
                for k, v in cls.model_json_schema().items()
                if k not in {"title", "description"}
            },
        }
        for name, cls in sorted(EVENT_TYPES.items())
        # Only contracts declared in shared.events; services must not add public events elsewhere.
        if cls.__module__ == "shared.events"
    }


def test_published_schemas_match_the_contracts() -> None:
    expected = expected_schemas()
    if os.environ.get("VARSEL_WRITE_EVENT_SCHEMAS") == "1":
        SCHEMAS.mkdir(parents=True, exist_ok=True)
        for stale in set(p.name for p in SCHEMAS.glob("*.json")) - set(expected):
            (SCHEMAS / stale).unlink()
        for name, schema in expected.items():
            (SCHEMAS / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    published = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.json")}
    assert published == expected, "docs/events/*.json are stale; see this module's docstring"
