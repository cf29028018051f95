"""A confirmed person and an auditor to read their consent ledger, timeline and audit log."""

from __future__ import annotations

import html
import re

from tests.integration.admin.harness import Harness

ADDRESS = "kari.nordmann@example.org"


def cells(page: str) -> list[str]:
    """Return the text of every table cell of a page."""
    return [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", page)]


async def confirmed_person(h: Harness) -> None:
    """Sign ADDRESS up and confirm it, and add an auditor, «aud», to read what it did."""
    await h.sign_up(ADDRESS)
    await h.confirm(ADDRESS)
    await h.user("aud", "auditor")
