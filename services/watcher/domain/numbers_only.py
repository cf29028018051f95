"""A page's new reading that differs from the stored text only in its numbers is read again,
and told only if the next reading is the same.

A clock («Klokken er nå 23:05»), a counter («312 personer har lest denne artikkelen»), when the
page was made («Siden ble laget på 0,68 sekunder», «Generert 07.12.2026 23:05»), an id
(«Sesjons-ID: 3f2a9c1e»), a draw in an advertisement, or blocks shuffled at every request: read
once and compared, each poll of such a page was a change and an alert, for as long as anyone
followed it. A real change may be numbers only too (a deadline moved, a count updated), so the
reading is not thrown away: it is read again soon (CONFIRM_SECONDS), and told if that reading is
the same. A page that shows new numbers at every request never is: its followers are told of
its changes in words only (with its numbers as they then stood).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

# A number, or an id of digits and the letters a to f (a session's, a request's): any run of
# those that holds a digit.
_NUMBER: Final = re.compile(r"[0-9A-Fa-f]*[0-9][0-9A-Fa-f]*")
# How soon a reading that changed only in its numbers is read again, at most.
CONFIRM_SECONDS: Final = 60


def numbers_only(old: Sequence[str], new: Sequence[str]) -> bool:
    """Tell whether two texts differ only in their numbers and in the order of their blocks."""
    if len(old) != len(new):  # most changes add or take a block: nothing more is computed
        return False
    return sorted(_NUMBER.sub("#", b) for b in old) == sorted(_NUMBER.sub("#", b) for b in new)
