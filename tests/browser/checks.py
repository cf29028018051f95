"""What every page state must pass: axe-core's WCAG 2.1 A/AA rules, its language, its labels."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Frame, Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe-core as bundled by axe-playwright-python; the page fixture adds it to every document.
AXE_SOURCE: str = AXE_SCRIPT
_RUN_AXE = "options => axe.run(document, options).then(r => r.violations)"

# Controls a person fills in or presses, without an accessible name from a label.
_UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML)"""


def report(violations: list[dict[str, Any]]) -> str:
    """Return axe violations as lines a person can act on."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            lines.append(f"       {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_accessible(page: Page | Frame, language: str) -> None:
    """Fail with a readable report unless the page as it is now passes every check."""
    assert page.get_attribute("html", "lang") == language, f"{page.url}: wrong lang attribute"
    assert page.title().strip(), f"{page.url}: no title"
    unlabelled = page.evaluate(_UNLABELLED)
    assert unlabelled == [], f"{page.url}: controls without a label: {unlabelled}"
    assert page.evaluate("typeof axe") == "object", "axe-core is not on the page (fixture?)"
    violations = page.evaluate(
        _RUN_AXE, {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    assert violations == [], f"{page.url}: axe found WCAG 2.1 AA violations:\n{report(violations)}"
