"""A bulletin to more topics than a page of them: every ticked topic is counted and sent to,
none left out unsaid."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from services.mailer.adapters.tables import Delivery
from tests.integration.admin.bulletins_support import events, form
from tests.integration.admin.desk_support import desk_running, relay
from tests.integration.admin.harness import CATALOGUE
from tests.integration.admin.test_admin_bulletin_reach import reach, signed_in_editor

# The harness's catalogue and 250 more topics: more than the 200 the form once kept.
MANY = [f"emne-{n:03}" for n in range(250)]
LARGE_CATALOGUE = CATALOGUE + "".join(
    f'\n[[topics]]\nslug = "{slug}"\ntitle = {{ nb = "Emne {slug}" }}\n' for slug in MANY
)


async def test_a_bulletin_reaches_the_followers_of_every_ticked_topic(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path, LARGE_CATALOGUE) as h, h.client() as client:
        # Followers of the last topics only, far past the first 200 ticked.
        await h.sign_up("sist@example.org", (MANY[-1],), "daily")
        await h.sign_up("nest@example.org", (MANY[-30],), "weekly")
        await h.confirm("sist@example.org")
        await h.confirm("nest@example.org")
        page = await signed_in_editor(h, client)

        counted = await client.post(
            "/admin/bulletins?lang=en", data=form(page, action="count", topics=MANY)
        )
        assert counted.status_code == 200, counted.text
        assert reach(counted.text)["In all"] == "2"

        sent = await client.post("/admin/bulletins?lang=en", data=form(page, topics=MANY))
        assert sent.status_code == 200, sent.text
        (published,) = await events(h, "bulletin.published.v1")
        assert published["topics"] == MANY
        # The mailer makes one mail for each of them (urgent: at once).
        await relay(h)
        async with h.runtime.sessions() as session:
            made = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.kind == "bulletin")
            )
        assert made == 2


# A catalogue as large as a public body's: one field per topic is more than 1,000 fields.
EVERY = [f"tema-{n:04}" for n in range(1007)]


async def test_a_bulletin_to_every_topic_of_a_large_catalogue_is_counted(
    database_url: str, tmp_path: Path
) -> None:
    catalogue = CATALOGUE + "".join(
        f'\n[[topics]]\nslug = "{slug}"\ntitle = {{ nb = "Tema {slug}" }}\n' for slug in EVERY
    )
    async with desk_running(database_url, tmp_path, catalogue) as h, h.client() as client:
        await h.sign_up("sist@example.org", (EVERY[-1],), "daily")
        await h.confirm("sist@example.org")
        page = await signed_in_editor(h, client)
        counted = await client.post(
            "/admin/bulletins?lang=en",
            data=form(page, action="count", topics=EVERY),
            headers={"Accept": "text/html"},
        )
        assert counted.status_code == 200, counted.text[:300]
        assert reach(counted.text)["In all"] == "1"
