"""Reading an editor's source form: each field checked alone, so each refusal sits by its field.

The catalogue checks the whole again when the source is applied (``shared.catalogue_checks``); this
says which field is wrong, in words the page translates (message keys of
``entrypoints/wording.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import regex

from services.admin.domain.topic_edits import fingerprint
from shared.carried_text import bidi_control_in, typed_invisible
from shared.catalogue_addresses import address_fault, is_absolute_http
from shared.intervals import IntervalTooLong, parse_interval
from shared.private_addresses import refused_address
from shared.source_rules import compile_ignore, selector_problem
from shared.vocabulary import ReviewMode, SourceKind

_NO_SPACES = re.compile(r"^\S*$")


def source_field_errors(
    entry: Mapping[str, Any], followed: Iterable[str], *, allow_private: bool
) -> dict[str, str]:
    """Return why each wrong field of a source entry is wrong (field name to message key)."""
    errors: dict[str, str] = {}
    url = entry.get("url", "")
    if (found := typed_invisible(url)) is not None:
        # Kept, the address would lose a noncharacter in every alert (the mailer leaves them
        # out of what it takes in) and lead elsewhere than the source the editor watches; a
        # direction control is refused as in every typed text, in words that say which.
        errors["url"] = f"url_{found[0]}"
    elif not is_absolute_http(url) or not _NO_SPACES.match(url):
        errors["url"] = "bad_url"
    elif fault := address_fault(url):
        errors["url"] = fault
    elif refused_address(url, allow_private=allow_private):
        # The watcher would refuse every poll of it (VARSEL_ALLOW_PRIVATE_ADDRESSES is off),
        # and «Test this source» says so in the same words.
        errors["url"] = "refused"
    if entry.get("kind") not in set(SourceKind):
        errors["kind"] = "bad_kind"
    topics = list(entry.get("topics", ()))
    if not topics:
        errors["topics"] = "topics_missing"
    elif any(t not in set(followed) for t in topics):
        errors["topics"] = "topics_unknown"
    if entry.get("mode") not in set(ReviewMode):
        errors["mode"] = "bad_mode"
    try:
        parse_interval(entry.get("interval", ""))
    except IntervalTooLong:
        errors["interval"] = "interval_too_long"
    except ValueError:
        errors["interval"] = "bad_interval"
    for pattern in entry.get("ignore", ()):
        try:
            compile_ignore(pattern)
        except regex.error:
            errors["ignore"] = "bad_ignore"
    # Taken, a pattern or selector would show on the sources page in another order than it is
    # stored, and match other than it reads (ADR 0023).
    if any(bidi_control_in(pattern) for pattern in entry.get("ignore", ())):
        errors["ignore"] = "ignore_bidi_control"
    if (selector := entry.get("selector")) and bidi_control_in(selector):
        errors["selector"] = "selector_bidi_control"
    elif selector and selector_problem(selector):
        errors["selector"] = "bad_selector"
    return errors


def source_fingerprint(row: Mapping[str, Any]) -> str:
    """Return a digest of a source's entry, by which an edit form tells the source it was
    opened on. Whether it is paused is left out: an edit keeps the pause as it is then."""
    return fingerprint({k: v for k, v in row.items() if k != "paused"})
