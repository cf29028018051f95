"""Render every page state and every mail once, and check them all in one run of the checker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.integration.html_valid.admin_pages import ADMIN_PAGES, render_admin_pages
from tests.integration.html_valid.mails import MAILS, render_mails
from tests.integration.html_valid.public_pages import PUBLIC_PAGES, render_public_pages
from tests.support.html_checker import Problem, check_documents, checker_jar


async def _documents(folder: Path) -> dict[str, str]:
    (folder / "public").mkdir()
    (folder / "admin").mkdir()
    return {
        **await render_public_pages(folder / "public"),
        **await render_admin_pages(folder / "admin"),
        **render_mails(),
    }


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Render every page state and every mail."""
    rendered = asyncio.run(_documents(tmp_path_factory.mktemp("rendered")))
    assert sorted(rendered) == sorted(PUBLIC_PAGES + ADMIN_PAGES + MAILS)
    return rendered


@pytest.fixture(scope="session")
def checker() -> None:
    """Skip (or fail under CI) before rendering anything, when the checker is missing."""
    checker_jar()


@pytest.fixture(scope="session")
def problems(
    checker: None, tmp_path_factory: pytest.TempPathFactory, documents: dict[str, str]
) -> dict[str, list[Problem]]:
    """Check every document in one run of the checker."""
    return check_documents(documents, tmp_path_factory.mktemp("checked"))
