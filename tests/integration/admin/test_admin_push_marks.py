"""What a publisher's push left on a watched source shows where staff read the source's state:
the catalogue's sources page (editors), the operations page and its JSON (operators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.admin import catalogue as commands
from services.watcher.domain.told import WINDOW
from shared.clock import FrozenClock
from tests.integration.admin.harness import running, sign_in
from tests.integration.admin.sources_support import KNOWN, pushed_after_a_told_change

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
UNTIL = "2026-11-17 10:30 UTC"  # the push's hour
TOLD = {
    "nb": "Publiseringssystemet har varslet den neste endringen: ny tekst som siden viser før "
    f"{UNTIL}, lagres uten at noen varsles på nytt.",
    "nn": "Publiseringssystemet har varsla den neste endringa: ny tekst som sida viser før "
    f"{UNTIL}, blir lagra utan at nokon blir varsla på nytt.",
    "en": "A publisher's push told the next change: new text the page shows until "
    f"{UNTIL} is stored without alerting anyone again.",
}
WAITING = {
    "nb": "Publiserte endringer som venter på at siden blir lest: 2.",
    "nn": "Publiserte endringar som ventar på at sida blir lesen: 2.",
    "en": "Pushed changes waiting for the page to be read: 2.",
}


def _row(page: str) -> str:
    return page[page.index(f'<th scope="row">{KNOWN}') :].split("</tr>")[0]


async def test_a_push_mark_and_the_pushes_waiting_show_in_each_language(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(NOW)
    async with running(database_url, tmp_path, clock) as h:
        await commands.apply_at_start(
            h.runtime.sessions, tmp_path / "catalogue.toml", NOW, allow_private=True
        )
        await h.user("ed", "editor")
        await h.user("ops", "operator")
        await pushed_after_a_told_change(h, NOW, {"k1": "Nytt kapittel.", "k2": "Nytt kapittel."})
        _, token = await h.token("ops")
        async with h.client() as client:
            await sign_in(client, "ed")
            sources = {
                lang: (await client.get(f"/admin/sources?lang={lang}")).text for lang in TOLD
            }
        async with h.client() as client:
            await sign_in(client, "ops")
            operations = {
                lang: (await client.get(f"/admin/operations?lang={lang}")).text for lang in TOLD
            }
            answer = await client.get(
                "/api/v1/admin/operations", headers={"Authorization": f"Bearer {token}"}
            )
        clock.advance(WINDOW + timedelta(minutes=1))
        async with h.client() as client:
            await sign_in(client, "ops")
            lapsed = (await client.get("/admin/operations?lang=en")).text

    for lang in TOLD:
        for page in (sources[lang], operations[lang]):
            assert TOLD[lang] in _row(page), lang
            assert WAITING[lang] in _row(page), lang
    (source,) = answer.json()["sources"]
    assert (source["told_until"], source["held_pushes"]) == ("2026-11-17T10:30:00+00:00", 2)
    # The mark has lapsed; the pushes still wait for the page to be read, and say so.
    assert "until" not in _row(lapsed) and WAITING["en"] in _row(lapsed)


async def test_a_source_without_a_push_says_nothing_of_one(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path, FrozenClock(NOW)) as h:
        await commands.apply_at_start(
            h.runtime.sessions, tmp_path / "catalogue.toml", NOW, allow_private=True
        )
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            page = (await client.get("/admin/sources?lang=en")).text
    assert "push" not in _row(page).lower()
