"""Numbers the staff side reads from an address or a form: a row's id, a version, a cursor's."""

from __future__ import annotations


def typed_number(raw: str | None, digits: int) -> int | None:
    """Return the number ``raw`` writes in at most ``digits`` ASCII digits, else None.

    ASCII only: «²» and «٣» are digits to ``str.isdigit``, and ``int`` refuses the first (a
    500 where the page's own 400 or 404 was meant) and reads the second.
    """
    if not raw or len(raw) > digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
