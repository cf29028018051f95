"""The public pages: valid HTML in every state, and nothing loaded from another host."""

from __future__ import annotations

import pytest

from tests.integration.html_valid.public_pages import PUBLIC_PAGES
from tests.support.html_checker import Problem
from tests.support.page_resources import from_elsewhere


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_is_valid_html(problems: dict[str, list[Problem]], name: str) -> None:
    assert problems[name] == [], "\n".join(str(p) for p in problems[name])


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_no_public_page_loads_anything_from_another_host(
    documents: dict[str, str], name: str
) -> None:
    assert from_elsewhere(documents[name]) == [], f"{name} loads from another host"
