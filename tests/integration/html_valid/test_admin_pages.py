"""The admin pages: valid HTML in every state, and nothing loaded from another host."""

from __future__ import annotations

import pytest

from tests.integration.html_valid.admin_pages import ADMIN_PAGES
from tests.support.html_checker import Problem
from tests.support.page_resources import from_elsewhere


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_every_admin_page_is_valid_html(problems: dict[str, list[Problem]], name: str) -> None:
    assert problems[name] == [], "\n".join(str(p) for p in problems[name])


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_no_admin_page_loads_anything_from_another_host(
    documents: dict[str, str], name: str
) -> None:
    assert from_elsewhere(documents[name]) == [], f"{name} loads from another host"
