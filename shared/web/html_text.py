"""Text a page shows back as it came in, without the characters an HTML document cannot carry.

A form's field or a path may hold any character a client sends: a NUL pasted with an address,
a control character from a script. Escaping makes it harmless but not valid: HTML allows no NUL,
no C0 control but tab, line feed, form feed and carriage return, no DEL or C1 control, no
noncharacter (U+FDD0 to U+FDEF, and the last two code points of every plane), and UTF-8 holds no
lone surrogate. A browser shows none of them, so a page that echoes a value leaves them out and
shows the rest; the value itself is checked as it came (the address check refuses such a value).
"""

from __future__ import annotations

import re
from typing import Final

from shared.carried_text import NONCHARACTERS

NOT_IN_HTML: Final = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff" + NONCHARACTERS + "]"
)


def html_text(value: object) -> str:
    """Return ``value`` as text without the characters HTML cannot carry (for a template)."""
    text = str(value)
    return NOT_IN_HTML.sub("", text) if NOT_IN_HTML.search(text) else text
