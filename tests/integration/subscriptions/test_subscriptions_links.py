"""Unhappy paths of the links in mails: expired, forged, reused and misused tokens; GET is inert."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.subscriptions import handlers
from services.subscriptions.adapters.tables import Subscription
from tests.support.journey import hidden_fields
from tests.support.words import page_text

from .harness import TOPIC, Harness, running, sign_up, subscribed

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


async def test_confirm_link_get_is_inert_post_confirms_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        token = await h.confirm_token(ADDRESS)
        before = await h.state()
        for _ in range(3):  # mail scanners follow links, sometimes several times
            page = await h.client.get(f"/confirm/{token}")
            assert page.status_code == 200
            assert "Bekreft påmeldingen" in page.text
        assert await h.state() == before
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.status == "pending"

        # A post that names no privacy notice (a forged one, or a page from before the notice's
        # version was shown): refused, nothing confirmed.
        wrong = await h.client.post(f"/confirm/{token}")
        assert wrong.status_code == 400
        assert "Skjemaet var for gammelt" in wrong.text
        assert await h.state() == before

        done = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))
        assert done.status_code == 200
        assert "Du har meldt deg på nyhetsvarsel for:" in done.text
        assert "Norge i verden" in done.text
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}

        # The link is spent: opened or pressed again, it says the sign-up is confirmed already,
        # changes nothing, and neither gives a way into the alerts nor shows the address.
        after = await h.state()
        opened = await h.client.get(f"/confirm/{token}")
        again = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))
        for answer in (opened, again):
            assert answer.status_code == 200
            assert page_text("nb", "Your sign-up is already confirmed") in answer.text
            assert "/manage/" not in answer.text
            assert ADDRESS not in answer.text
        assert await h.state() == after
        english = await h.client.get(f"/confirm/{token}?lang=en")
        assert "Your sign-up is already confirmed" in english.text
        nynorsk = await h.client.get(f"/confirm/{token}?lang=nn")
        assert page_text("nn", "Your sign-up is already confirmed") in nynorsk.text


async def _confirmed_by_link(h: Harness) -> tuple[str, httpx.Response]:
    """Sign up and confirm from the mail's link; return the link's token and the page it showed."""
    await sign_up(h.client, ADDRESS)
    token = await h.confirm_token(ADDRESS)
    page = await h.client.get(f"/confirm/{token}")
    assert (await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))).is_success
    return token, page


async def test_confirm_link_after_every_alert_ended_says_none_go_out(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token, page = await _confirmed_by_link(h)
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        ended = await h.client.post(
            f"/one-click/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}
        )
        assert ended.status_code == 200
        assert await h.open_topics(ADDRESS) == set()

        # The old confirmation link, opened again: it must not say alerts go out; it says none
        # do, and how to get them again, in the person's language or the one chosen.
        before = await h.state()
        for language in ("nb", "nn", "en"):
            opened = await h.client.get(f"/confirm/{token}?lang={language}")
            pressed = await h.client.post(
                f"/confirm/{token}?lang={language}", data=hidden_fields(page.text)
            )
            for answer in (opened, pressed):
                assert answer.status_code == 200
                text = answer.text
                assert page_text(language, "You get no alerts from us now") in text
                assert page_text(language, "Choose topics and sign up again") in text
                assert page_text(language, "Your sign-up is already confirmed") not in text
                gets = "You get alerts as you chose them. Every email we send you has a link to"
                assert page_text(language, gets + " change or end your alerts.") not in text
                assert "/manage/" not in text and ADDRESS not in text
        api = await h.client.post(f"/api/v1/confirmations/{token}")
        assert api.status_code == 409
        assert "ended" in api.json()["detail"]
        assert await h.state() == before

        # Signed up again and confirmed: the first link says alerts go out once more.
        await sign_up(h.client, ADDRESS)
        fresh = await h.confirm_token(ADDRESS)
        again = await h.client.get(f"/confirm/{fresh}")
        assert (await h.client.post(f"/confirm/{fresh}", data=hidden_fields(again.text))).is_success
        reopened = await h.client.get(f"/confirm/{token}")
        assert page_text("nb", "Your sign-up is already confirmed") in reopened.text
        assert page_text("nb", "You get no alerts from us now") not in reopened.text


async def test_confirm_link_of_an_address_whose_mail_bounced_says_no_alerts_go_out(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token, _ = await _confirmed_by_link(h)
        person = await h.subscriber(ADDRESS)
        assert person is not None
        web = h.app.state.subscriptions_web
        await handlers.record_bounce(web.uow(), web.deps, person.id, limit=1)
        # Alerts open beside the stop, as a manage page could start them before it refused to:
        # nothing is sent to the address all the same.
        async with web.uow() as uow:
            await uow.subscriptions.start(person.id, [TOPIC], h.clock.now())
            await uow.commit()
        assert await h.open_topics(ADDRESS) == {TOPIC}
        opened = await h.client.get(f"/confirm/{token}")
        assert page_text("nb", "You get no alerts from us now") in opened.text
        assert page_text("nb", "Your sign-up is already confirmed") not in opened.text


async def test_confirm_link_of_an_erased_person_does_not_work(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token, page = await _confirmed_by_link(h)
        manage = await h.link_token(ADDRESS, "manage")
        erased = await h.client.post(f"/manage/{manage}", data={"action": "erase"})
        assert erased.status_code == 200
        # Nobody is left to be signed up: the link answers as any other that does not work.
        assert (await h.client.get(f"/confirm/{token}")).status_code == 404
        again = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))
        assert again.status_code == 404
        assert "Lenken virker ikke" in again.text
        assert (await h.client.post(f"/api/v1/confirmations/{token}")).status_code == 404


async def test_expired_confirm_link_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await sign_up(h.client, ADDRESS)
        token = await h.confirm_token(ADDRESS)
        page = await h.client.get(f"/confirm/{token}")
        h.clock.advance(timedelta(days=7, hours=1))
        assert (await h.client.get(f"/confirm/{token}")).status_code == 404
        late = await h.client.post(f"/confirm/{token}", data=hidden_fields(page.text))
        assert late.status_code == 404
        assert "utløpt" in late.text
        assert await h.open_topics(ADDRESS) == set()


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
        ended = await h.client.post(
            f"/unsubscribe/{unsubscribe}", data={"action": "unsubscribe_all"}
        )
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
        erased = await h.client.post(f"/unsubscribe/{unsubscribe}", data={"action": "erase"})
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


@pytest.mark.parametrize("encoding", ["form", "multipart"])
async def test_rfc8058_one_click(database_url: str, tmp_path: Path, encoding: str) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "unsubscribe")
        # A mail provider's POST: no cookies, no CSRF token, no redirects followed.
        async with h.browser("192.0.2.10", follow_redirects=False) as provider:
            for wrong in ({}, {"List-Unsubscribe": "Yes"}, {"other": "One-Click"}):
                bad = await provider.post(f"/one-click/{token}", data=wrong)
                assert bad.status_code == 400
            as_json = await provider.post(
                f"/one-click/{token}", json={"List-Unsubscribe": "One-Click"}
            )
            assert as_json.status_code == 400
            assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
            assert (await provider.get(f"/one-click/{token}")).status_code == 303

            if encoding == "form":
                done = await provider.post(
                    f"/one-click/{token}", data={"List-Unsubscribe": "One-Click"}
                )
            else:
                done = await provider.post(
                    f"/one-click/{token}",
                    data={"List-Unsubscribe": "One-Click"},
                    files={"unused": ("", b"")},
                )
                assert done.request.headers["content-type"].startswith("multipart/form-data")
            assert provider.cookies == {}
        assert done.status_code == 200
        assert "location" not in done.headers
        assert "set-cookie" not in done.headers
        assert await h.open_topics(ADDRESS) == set()
        ledger = await h.ledger()
        assert ledger[-1].action == "unsubscribed"
        assert ledger[-1].channel == "one-click"
        assert ledger[-1].topics == ["norge-i-verden"]
        ended = await h.all(select_ended())
        assert ended == ["one-click"]


async def test_one_click_address_opened_in_a_browser_asks_first(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Some mail programs open the List-Unsubscribe address in a browser instead of posting to
    # it: the person gets the unsubscribe page with its buttons, not an error, and nothing ends.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "unsubscribe")
        before = await h.state()
        async with h.browser("192.0.2.10", follow_redirects=False) as browser:
            opened = await browser.get(f"/one-click/{token}")
            assert opened.status_code == 303
            assert opened.headers["location"] == f"/unsubscribe/{token}"
            assert (await browser.head(f"/one-click/{token}")).status_code == 303
            page = await browser.get(opened.headers["location"])
        assert page.status_code == 200
        assert 'value="unsubscribe_all"' in page.text and 'value="erase"' in page.text
        assert await h.state() == before
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
        # Whatever the address holds stays one path segment of this site's unsubscribe page.
        async with h.browser(follow_redirects=False) as browser:
            odd = await browser.get("/one-click/%3F%23x%5C%40evil.example")
        assert odd.status_code == 303
        assert odd.headers["location"] == "/unsubscribe/%3F%23x%5C%40evil.example"


def select_ended() -> object:
    """Return the query for why subscriptions ended."""
    from sqlalchemy import select

    return select(Subscription.ended_reason).where(Subscription.ended_at.is_not(None))
