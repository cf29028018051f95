"""The bulletin editor's two reads: how many people the chosen topics reach (each person once,
per frequency), and the list of sent bulletins with what became of their mails in the ledger."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from services.admin import handlers
from services.mailer.adapters import deliveries
from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import DeliveryStatus
from services.mailer.domain.outcomes import NextStep
from tests.integration.admin.bulletins_support import form
from tests.integration.admin.desk_support import desk_running
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token, sign_in


def reach(html: str) -> dict[str, str]:
    """Read the reach table: row heading -> count."""
    table = html.split('<table id="reach">', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table))


async def followers(h: Harness) -> None:
    """Four confirmed people, one following both topics, and one who never confirmed."""
    await h.sign_up("begge@example.org", (TOPIC, OTHER), "daily")
    await h.sign_up("straks@example.org", (OTHER,), "immediate")
    await h.sign_up("uke@example.org", (TOPIC,), "weekly")
    await h.sign_up("dag@example.org", (OTHER,), "daily")
    for address in ("begge@example.org", "straks@example.org", "uke@example.org"):
        await h.confirm(address)
    await h.confirm("dag@example.org")
    await h.sign_up("aldri@example.org", (TOPIC, OTHER), "daily")  # never confirmed


async def signed_in_editor(h: Harness, client: httpx.AsyncClient) -> str:
    await h.user("rita", "editor")
    async with h.runtime.sessions() as session, session.begin():
        await handlers.set_email(session, "rita", "rita@example.no")
    assert (await sign_in(client, "rita")).status_code == 303
    page = await client.get("/admin/bulletins?lang=en")
    assert page.status_code == 200
    return page.text


async def test_the_count_reaches_each_follower_once_per_frequency(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path) as h, h.client() as client:
        await followers(h)
        page = await signed_in_editor(h, client)
        assert "No bulletin has been sent yet." in page and 'id="reach"' not in page
        # Only topics chosen: the count needs no words yet, and the form comes back as it was.
        both = await client.post(
            "/admin/bulletins?lang=en",
            data=form(page, action="count", subject_en="", body_en="", subject_nb="Utkast"),
        )
        assert both.status_code == 200, both.text
        assert reach(both.text) == {"Immediately": "1", "Daily": "2", "Weekly": "1", "In all": "4"}
        assert 'value="Utkast"' in both.text
        one = await client.post(
            "/admin/bulletins?lang=en", data=form(page, action="count", topics=[TOPIC])
        )
        assert reach(one.text) == {"Immediately": "0", "Daily": "1", "Weekly": "1", "In all": "2"}

        none = await client.post(
            "/admin/bulletins?lang=en", data=form(page, action="count", topics=[])
        )
        assert none.status_code == 400 and "Choose at least one topic." in none.text
        unknown = await client.post(
            "/admin/bulletins?lang=en", data=form(page, action="count", topics=["finnes-ikke"])
        )
        assert unknown.status_code == 400 and "finnes-ikke" in unknown.text
        assert 'id="reach"' not in none.text + unknown.text


async def test_a_sent_bulletin_is_listed_with_its_delivery_counts(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path) as h, h.client() as client:
        await followers(h)
        page = await signed_in_editor(h, client)
        sent = await client.post("/admin/bulletins?lang=en", data=form(page))  # urgent, both
        assert sent.status_code == 200, sent.text
        while await h.runtime.relay.publish_pending():
            pass
        async with h.runtime.sessions() as session, session.begin():
            query = select(Delivery.id).where(Delivery.kind == "bulletin").order_by(Delivery.id)
            ids = list((await session.scalars(query)).all())
            assert len(ids) == 4  # urgent: every follower at once, the one of both topics once
            now = h.runtime.clock.now()
            await deliveries.mark_sent(session, ids[:2], now)
            failed = NextStep(DeliveryStatus.FAILED, 1, now, failed_for_good=True)
            await deliveries.record_next_steps(session, [(ids[2], failed, "550 no such user")])

        # The confirmation mails in the same ledger are not the bulletin's.
        listed = (await client.get("/admin/bulletins?lang=en")).text
        table = listed.split('<table aria-labelledby="sent">', 1)[1].split("</table>", 1)[0]
        (row,) = re.findall(r"<tr><td>.*?</tr>", table)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[1:] == [
            "rita",
            "Norway in the world, Health news",
            "Urgent, to everyone at once",
            "Stengt i julen",
            "2",
            "1",
            "1",
        ], cells
        assert cells[0].endswith(" UTC")


async def test_an_auditor_can_neither_count_nor_see_the_sent_list(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path) as h, h.client() as auditor:
        await followers(h)
        await h.user("anne", "auditor")
        await sign_in(auditor, "anne")
        listed = await auditor.get("/admin/bulletins?lang=en")
        assert listed.status_code == 403 and "Sent bulletins" not in listed.text
        login = await auditor.get("/admin")
        counted = await auditor.post(
            "/admin/bulletins",
            data={"csrf_token": csrf_token(login.text), "action": "count", "topics": [TOPIC]},
        )
        assert counted.status_code == 403 and 'id="reach"' not in counted.text
