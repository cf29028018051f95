"""Unhappy paths of the links in mails: forged and misused tokens, manage links that expire
while the way out never does, an erased person's links; GET is inert.

The confirmation link is in test_subscriptions_confirm_links.py, one-click unsubscribe in
test_subscriptions_one_click.py."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path

from tests.support.words import page_text

from .harness import Harness, press, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"


def _forgeries(h: Harness, genuine: str) -> list[str]:
    body, mac = genuine.split(".")
    flipped = mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB")
    other_key = base64.urlsafe_b64encode(uuid.uuid4().bytes + b"\0\0\0\0").decode().rstrip("=")
    return [
        f"{body}.{flipped}",  # MAC tampered
        f"{other_key}.{mac}",  # someone else's subject under this MAC
        "x" * 300,  # too long
        "not-a-token",
        "a.b.c",
        f"{body}.",
        "%00",
        "..%2F..%2Fetc",
        "æøå.ÆØÅ",
    ]


async def test_forged_tokens_are_refused_everywhere(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        await sign_up(h.client, "pending@example.no")
        genuine = {
            "confirm": await h.confirm_token("pending@example.no"),
            "manage": await h.link_token(ADDRESS, "manage"),
            "unsubscribe": await h.link_token(ADDRESS, "unsubscribe"),
        }
        before = await h.state()
        for path in ("confirm", "manage", "unsubscribe"):
            for forged in _forgeries(h, genuine[path]):
                got = await h.client.get(f"/{path}/{forged}")
                assert got.status_code in (404, 405), (path, forged, got.status_code)
                posted = await h.client.post(f"/{path}/{forged}", data={"action": "erase"})
                assert posted.status_code == 404, (path, forged, posted.status_code)
        for forged in _forgeries(h, genuine["unsubscribe"]):
            one_click = await h.client.post(
                f"/one-click/{forged}", data={"List-Unsubscribe": "One-Click"}
            )
            assert one_click.status_code == 404
        assert await h.state() == before


async def test_a_token_works_only_for_its_purpose(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        await sign_up(h.client, "pending@example.no")
        confirm_token = await h.confirm_token("pending@example.no")
        manage = await h.link_token(ADDRESS, "manage")
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        misuse = [
            ("manage", confirm_token),
            ("unsubscribe", confirm_token),
            ("one-click", confirm_token),
            ("confirm", manage),
            ("unsubscribe", manage),
            ("one-click", manage),
            ("confirm", unsubscribe),
            ("manage", unsubscribe),
        ]
        before = await h.state()
        for path, token in misuse:
            if path != "one-click":
                assert (await h.client.get(f"/{path}/{token}")).status_code == 404, path
            data = {"action": "erase", "List-Unsubscribe": "One-Click"}
            assert (await h.client.post(f"/{path}/{token}", data=data)).status_code == 404, path
        assert await h.state() == before


async def test_get_never_changes_state(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        manage = await h.link_token(ADDRESS, "manage")
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        before = await h.state()
        for url in (
            f"/manage/{manage}",
            f"/manage/{manage}?action=erase",
            f"/unsubscribe/{unsubscribe}",
            f"/unsubscribe/{unsubscribe}?action=unsubscribe_all",
            f"/one-click/{unsubscribe}?List-Unsubscribe=One-Click",
        ):
            await h.client.get(url)
            await h.client.head(url)
        assert await h.state() == before
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}


async def test_manage_links_expire_but_the_way_out_never_does(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        await subscribed(h, "ola@example.no")
        manage = await h.link_token(ADDRESS, "manage")
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        other = await h.link_token("ola@example.no", "unsubscribe")
        # Manage links work for at least 90 days and stop after the configured lifetime...
        h.clock.advance(timedelta(days=90))
        assert (await h.client.get(f"/manage/{manage}")).status_code == 200
        h.clock.advance(timedelta(days=91))
        assert (await h.client.get(f"/manage/{manage}")).status_code == 404
        # ... but every mail promises the alerts can be ended at any time: years later, the
        # unsubscribe page and the one-click link still end them.
        h.clock.advance(timedelta(days=3 * 365))
        page = await h.client.get(f"/unsubscribe/{unsubscribe}")
        assert page.status_code == 200
        ended = await press(h.client, f"/unsubscribe/{unsubscribe}", "unsubscribe_all")
        assert ended.status_code == 200
        assert await h.open_topics(ADDRESS) == set()
        one_click = await h.client.post(
            f"/one-click/{other}", data={"List-Unsubscribe": "One-Click"}
        )
        assert one_click.status_code == 200
        assert await h.open_topics("ola@example.no") == set()
        # A link dated in the future was not made by us, however long links live.
        future = h.runtime.signer.sign(
            "unsubscribe", (await h.subscriber(ADDRESS)).id, h.clock.now() + timedelta(days=2)
        )
        assert (await h.client.get(f"/unsubscribe/{future}")).status_code == 404


async def test_an_erased_persons_links_say_nothing_is_left_to_end(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, "ola@example.no")
        manage = await h.link_token("ola@example.no", "manage")
        unsubscribe = await h.link_token("ola@example.no", "unsubscribe")
        h.clock.advance(timedelta(days=400))
        erased = await press(h.client, f"/unsubscribe/{unsubscribe}", "erase")
        assert erased.status_code == 200
        assert "E-postadressen din er slettet" in erased.text
        assert "Det vi beholder" in erased.text
        # Erasure ends every link: the manage link is simply gone...
        assert (await h.client.get(f"/manage/{manage}")).status_code == 404
        # ... and the way out answers that there is nothing left to end, not that it is broken.
        h.clock.advance(timedelta(days=30))
        before = await h.state()
        english = await h.client.get(f"/unsubscribe/{unsubscribe}?lang=en")
        assert english.status_code == 200
        assert "There is nothing left to end" in english.text
        for answer in (
            await h.client.get(f"/unsubscribe/{unsubscribe}"),
            await h.client.post(f"/unsubscribe/{unsubscribe}", data={"action": "unsubscribe_all"}),
            await h.client.post(f"/unsubscribe/{unsubscribe}", data={"action": "erase"}),
        ):
            assert answer.status_code == 200
            assert page_text("nb", "There is nothing left to end") in answer.text
            assert 'name="action"' not in answer.text
        one_click = await h.client.post(
            f"/one-click/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}
        )
        assert one_click.status_code == 200
        assert "Nothing left to end" in one_click.text
        assert await h.state() == before
        # A forged or tampered link is still refused as before.
        tampered = unsubscribe[:-2] + ("AA" if not unsubscribe.endswith("AA") else "BB")
        assert (await h.client.get(f"/unsubscribe/{tampered}")).status_code == 404
        forged = await h.client.post(
            f"/one-click/{tampered}", data={"List-Unsubscribe": "One-Click"}
        )
        assert forged.status_code == 404
