"""The confirmation link in the sign-up mail: opening it changes nothing, pressing it confirms
once; spent, expired, or after the alerts ended, the address bounced or the person was erased,
it says what holds."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import httpx

from services.subscriptions import handlers
from tests.support.journey import hidden_fields
from tests.support.words import page_text

from .harness import TOPIC, Harness, press, running, sign_up

ADDRESS = "kari.nordmann@example.no"


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


async def test_the_confirmed_page_keeps_the_language_the_confirm_page_was_read_in(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        assert (await sign_up(h.client, ADDRESS, lang="nb")).status_code == 200
        token = await h.confirm_token(ADDRESS)
        page = await h.client.get(f"/confirm/{token}?lang=en")
        assert page_text("en", "Confirm your sign-up") in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None and action[1] == f"/confirm/{token}?lang=en"
        done = await h.client.post(html.unescape(action[1]), data=hidden_fields(page.text))
        assert done.status_code == 200, done.text
        assert '<html lang="en">' in done.text
        assert "You have subscribed to alerts about:" in done.text
        assert "Norway in the world" in done.text
        # The page's language is the reader's choice; the alerts stay in the one signed up in.
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.language == "nb"


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
        erased = await press(h.client, f"/manage/{manage}", "erase")
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
