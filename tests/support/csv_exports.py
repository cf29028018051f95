"""Read a CSV export back as a spreadsheet does: UTF-8 after the byte order mark it starts with."""

from __future__ import annotations

import codecs


def csv_text(data: bytes) -> str:
    """Return an export's text without its byte order mark; fail if it has none, or two."""
    assert data.startswith(codecs.BOM_UTF8), data[:20]
    text = data.decode("utf-8-sig")
    # Once, before the header's first cell: a mark before a later chunk would be a stray
    # character inside a cell.
    assert "\ufeff" not in text, text[:200]
    return text
