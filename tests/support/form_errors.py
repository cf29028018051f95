"""What a form page answered with after a wrong submit, as assistive technology reads it.

Each wrong field must carry aria-invalid and be described by an error text beside it, and the
error summary, which takes the focus, must link to each such field (WCAG 3.3.1 and 3.3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html


@dataclass(frozen=True)
class FieldMarks:
    """How one field is marked: invalid or not, and the texts that describe it."""

    invalid: bool
    described_by: tuple[str, ...]
    error_text: str


def field_marks(page: str, field: str) -> FieldMarks:
    """Return the marks of the control with id ``field`` (an input, textarea or fieldset)."""
    tree = lxml.html.fromstring(page)
    [control] = tree.xpath(f'//*[@id="{field}"]')
    ids = tuple((control.get("aria-describedby") or "").split())
    errors = [tree.xpath(f'//*[@id="{i}"]') for i in ids if i.endswith("-error")]
    text = " ".join(" ".join(e[0].text_content().split()) for e in errors if e)
    return FieldMarks(control.get("aria-invalid") == "true", ids, text)


def summary_links(page: str) -> list[str]:
    """Return the fields the focusable error summary links to, in its order."""
    tree = lxml.html.fromstring(page)
    [box] = tree.xpath('//*[contains(concat(" ", @class, " "), " error-summary ")]')
    assert box.get("tabindex") == "-1" and box.get("autofocus") is not None, "takes no focus"
    return [a.get("href").removeprefix("#") for a in box.xpath(".//a[@href]")]
