"""Unhappy paths of the public forms: CSRF, the page a form names, unknown topics, frequencies
and related topics not offered.

Their rate limits are in test_subscriptions_form_rate_limits.py, hostile and broken input in
test_subscriptions_hostile_input.py, known addresses in test_subscriptions_known_addresses.py,
their languages in test_subscriptions_form_languages.py."""

from __future__ import annotations

import html
from pathlib import Path

from sqlalchemy import select

from services.subscriptions.adapters.tables import SignupRequest, Subscriber
from tests.support.journey import hidden_fields

from .harness import RELATED, TOPIC, UNRELATED, confirm, csrf, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"


async def test_sign_up_needs_csrf(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.client.get(f"/subscribe/{TOPIC}")  # the browser has its cookie
        base = {"email": ADDRESS, "frequency": "immediate"}
        # A token with a letter beyond ASCII too: it cannot be a token, so no 500 either.
        tokens = ("0" * 64, "x" * 5000, "\u00e6" * 64)
        for data in (base, *({**base, "csrf_token": token} for token in tokens)):
            refused = await h.client.post(f"/subscribe/{TOPIC}", data=data)
            assert refused.status_code == 400
            assert "Skjemaet var for gammelt. Send det på nytt." in refused.text
            # The form comes back filled in, with a fresh token to send it again.
            assert f'value="{ADDRESS}"' in refused.text
            assert csrf(refused.text)
        async with h.browser() as cookieless:
            token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
            other = await cookieless.post(f"/subscribe/{TOPIC}", data={**base, "csrf_token": token})
            assert other.status_code == 400
        manage_link = await h.client.post("/manage-link", data={"email": ADDRESS})
        assert manage_link.status_code == 400
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_the_ledger_records_the_page_the_form_was_shown_on(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        form = await h.client.get(f"/subscribe/{TOPIC}")
        fields = {**hidden_fields(form.text), "email": ADDRESS, "frequency": "daily"}
        assert fields["page"] == f"/subscribe/{TOPIC}"
        # The page is the form's, never the Referer header, which a client may fill with anything.
        headers = {"Referer": '=HYPERLINK("https://angriper.example")'}
        answer = await h.client.post(f"/subscribe/{TOPIC}", data=fields, headers=headers)
        assert answer.status_code == 200, answer.text
        assert [r.page for r in await h.ledger()] == [f"http://127.0.0.1:8000/subscribe/{TOPIC}"]
        await confirm(h, ADDRESS)
        pages = [r.page for r in await h.ledger()]
        assert pages == [f"http://127.0.0.1:8000/subscribe/{TOPIC}"] * 2
        # A form that names no page, another topic's or another site's is refused.
        before = await h.state()
        for page in (None, f"/subscribe/{UNRELATED}", "https://angriper.example/", "x" * 3000):
            data = {**fields, "email": "ola@example.no"}
            if page is None:
                del data["page"]
            else:
                data["page"] = page
            refused = await h.client.post(f"/subscribe/{TOPIC}", data=data)
            assert refused.status_code == 400, page
            assert "Skjemaet kunne ikke kontrolleres. Send det på nytt." in refused.text
            assert hidden_fields(refused.text)["page"] == f"/subscribe/{TOPIC}"
        assert await h.state() == before


async def test_unknown_topic_is_a_404_page(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        for path in ("/subscribe/finnes-ikke", "/embed/subscribe/finnes-ikke"):
            page = await h.client.get(path)
            assert page.status_code == 404
            assert "Vi har ikke noe tema med denne adressen." in page.text
            posted = await h.client.post(
                path, data={"email": ADDRESS, "frequency": "daily", "csrf_token": token}
            )
            assert posted.status_code == 404
        english = await h.client.get("/subscribe/finnes-ikke?lang=en")
        assert "We have no topic at this address." in english.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_frequency_must_be_offered(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        for frequency in ("", "hourly", "Straks"):
            answer = await h.client.post(
                f"/subscribe/{TOPIC}",
                data={"email": ADDRESS, "frequency": frequency, "csrf_token": token},
            )
            assert answer.status_code == 400
            assert "Velg hvor ofte du vil få varsler." in answer.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_a_manage_form_without_an_offered_frequency_saves_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS, frequency="weekly")
        manage = await h.link_token(ADDRESS, "manage")
        page = await h.client.get(f"/manage/{manage}")
        for frequency in (None, "", "hourly"):
            data = {**hidden_fields(page.text), "action": "save", "topics": [TOPIC, RELATED[0]]}
            if frequency is not None:
                data["frequency"] = frequency
            answer = await h.client.post(f"/manage/{manage}", data=data)
            # Re-shown with the reason beside the question, the topics as ticked; nothing saved,
            # rather than the person moved to immediate alerts they never chose.
            assert answer.status_code == 400
            shown = html.unescape(answer.text)
            assert "Velg hvor ofte du vil få varsler." in shown
            assert f'id="topic-{RELATED[0]}" name="topics" value="{RELATED[0]}" checked' in shown
            assert 'value="weekly" checked' in shown
            person = await h.subscriber(ADDRESS)
            assert person is not None and person.frequency == "weekly"
            assert await h.open_topics(ADDRESS) == {TOPIC}


async def test_related_topics_accept_only_the_topics_related_slugs(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        answer = await sign_up(
            h.client,
            ADDRESS,
            related=[RELATED[0], UNRELATED, "finnes-ikke", TOPIC, RELATED[0], RELATED[0]],
        )
        assert answer.status_code == 200
        (topics,) = await h.all(select(SignupRequest.topics))
        assert sorted(topics) == sorted([TOPIC, RELATED[0]])
        # The ledger names each topic once too, as the request does.
        (requested,) = await h.ledger()
        assert requested.topics == sorted([TOPIC, RELATED[0]])
        await confirm(h, ADDRESS)
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[0]}
        assert await h.count(Subscriber) == 1
