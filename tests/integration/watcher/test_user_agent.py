"""Every fetch names the installation as its operator configured it (VARSEL_USER_AGENT)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.watcher.adapters.tables import WatchedSource
from services.watcher.bootstrap import Watcher
from services.watcher.handlers import poll
from shared.runtime import build_runtime
from shared.settings import Settings, product_version
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

BASE = "https://varsel.example.no"


async def _user_agent_seen(
    site: ScriptedSite, database_url: str, tmp_path: Path, **settings: str
) -> str:
    """Poll a source through the watcher as `varsel run` wires it; return what the site saw."""
    site.set("/p", Route(page().encode()))
    config = tmp_path / "catalogue.toml"
    config.write_text(
        '[[topics]]\nslug = "t"\ntitle = { nb = "Tema" }\n\n'
        f'[[sources]]\nurl = "{site.url("/p")}"\nkind = "page"\ntopics = ["t"]\n'
    )
    runtime = build_runtime(
        Settings(
            database_url=database_url,
            config=config,
            var_dir=tmp_path,
            base_url=BASE,
            allow_private_addresses=True,
            **settings,  # type: ignore[arg-type]
        )
    )
    watcher = Watcher(runtime)
    try:
        await watcher.start()
        async with runtime.sessions() as session:
            source_id = await session.scalar(select(WatchedSource.id))
        assert source_id is not None
        assert await poll(watcher.deps, source_id) == "baseline"
        assert await poll(watcher.deps, source_id) == "unchanged"
    finally:
        await watcher.stop()
        await runtime.close()
    agents = {seen.headers["User-Agent"] for seen in site.log("/p")}
    assert len(site.log("/p")) == 2 and len(agents) == 1
    return agents.pop()


async def test_by_default_fetches_name_the_product_its_version_and_the_base_url(
    site: ScriptedSite, database_url: str, tmp_path: Path
) -> None:
    agent = await _user_agent_seen(site, database_url, tmp_path)

    assert agent == f"varsel/{product_version()} (+{BASE})"
    assert product_version() != "unknown"


async def test_the_operator_names_the_installation_and_a_contact(
    site: ScriptedSite, database_url: str, tmp_path: Path
) -> None:
    chosen = "Helsevarsel/2.1 (+https://varsel.helse.example.no; drift@helse.example.no)"

    assert await _user_agent_seen(site, database_url, tmp_path, user_agent=chosen) == chosen


@pytest.mark.parametrize("bad", ["varsel\r\nX-Injected: 1", "varsel\tfaner", "varsel ø", "v" * 501])
def test_a_user_agent_that_is_not_one_header_line_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="user_agent"):
        Settings(user_agent=bad)
