"""Unhappy paths of the public forms: CSRF, rate limits, unknown topics, hostile input, floods.

The forms' languages are in test_subscriptions_form_languages.py."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from services.subscriptions import read_api
from services.subscriptions.adapters.tables import SignupRequest, Subscriber
from tests.support.journey import hidden_fields

from .harness import RELATED, TOPIC, UNRELATED, Harness, confirm, csrf, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"
SIGNUP = "subscriber.signup_requested.v1"


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)


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


async def test_rate_limit_per_address(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, signup_limit_per_address=2) as h:
        for host in ("192.0.2.1", "192.0.2.2"):
            async with h.browser(host) as browser:
                assert (await sign_up(browser, ADDRESS)).status_code == 200
        async with h.browser("192.0.2.3") as browser:
            # Case and spacing do not make another address.
            limited = await sign_up(browser, "  Kari.Nordmann@EXAMPLE.no ")
            assert limited.status_code == 429
            assert "For mange forsøk" in limited.text
            assert "Prøv igjen om 60 minutter." in limited.text  # a whole window left
            assert (await sign_up(browser, "ola@example.no")).status_code == 200
            english = await sign_up(browser, ADDRESS, lang="en")
            assert english.status_code == 429
            assert "Too many attempts" in english.text
        # A new hour, a new allowance.
        h.clock.advance(timedelta(hours=1))
        async with h.browser("192.0.2.4") as browser:
            assert (await sign_up(browser, ADDRESS)).status_code == 200


async def test_rate_limit_per_client(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, signup_limit_per_client=3) as h:
        for n in range(3):
            assert (await sign_up(h.client, f"person{n}@example.no")).status_code == 200
        before = await h.state()
        limited = await sign_up(h.client, "person9@example.no")
        assert limited.status_code == 429
        assert "fra denne maskinen" in limited.text
        # Refused whole: no person, request, consent record or event of it is kept.
        assert await h.subscriber("person9@example.no") is None
        assert await h.state() == before
        # A known address over the limit is refused the same way.
        assert (await sign_up(h.client, "person0@example.no")).status_code == 429
        assert await h.state() == before
        async with h.browser("198.51.100.7") as elsewhere:
            assert (await sign_up(elsewhere, "person9@example.no")).status_code == 200
        # The manage-link form counts separately but the same way.
        token = csrf((await h.client.get("/manage-link")).text)
        answers = [
            await h.client.post(
                "/manage-link", data={"email": f"p{n}@example.no", "csrf_token": token}
            )
            for n in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "For mange forsøk" in answers[-1].text


async def test_rate_limit_counts_an_ipv6_client_by_its_64(sqlite_url: str, tmp_path: Path) -> None:
    """Any address of one /64 is the same client: it is one home, office or server's."""
    async with running(sqlite_url, tmp_path, signup_limit_per_client=2) as h:
        for n in range(2):
            async with h.browser(f"2001:db8:5:6::{n + 1}") as browser:
                assert (await sign_up(browser, f"person{n}@example.no")).status_code == 200
        async with h.browser("2001:db8:5:6:ffff::1") as browser:
            assert (await sign_up(browser, "person9@example.no")).status_code == 429
        async with h.browser("2001:db8:5:7::1") as elsewhere:
            assert (await sign_up(elsewhere, "person9@example.no")).status_code == 200


async def test_the_rate_limited_page_says_when_to_try_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, signup_limit_per_client=1) as h:
        h.clock.advance(timedelta(minutes=20, seconds=30))
        assert (await sign_up(h.client, "a@example.no")).status_code == 200
        limited = await sign_up(h.client, "b@example.no")
        assert limited.status_code == 429
        # The window of the limit ends on the hour: 39 minutes 30 seconds from now.
        assert limited.headers["retry-after"] == "2370"
        token = csrf((await h.client.get("/manage-link")).text)
        asks = [
            await h.client.post(
                "/manage-link", data={"email": f"p{n}@example.no", "csrf_token": token}
            )
            for n in range(2)
        ]
        assert [a.status_code for a in asks] == [200, 429]
        assert asks[-1].headers["retry-after"] == "2370"
        api = await h.client.post(
            "/api/v1/subscriptions", json={"email": "c@example.no", "topics": [TOPIC]}
        )
        assert api.status_code == 429
        assert api.headers["retry-after"] == "2370"


async def test_unknown_topic_is_a_404_page(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        for path in ("/subscribe/finnes-ikke", "/embed/subscribe/finnes-ikke"):
            page = await h.client.get(path)
            assert page.status_code == 404
            assert "Vi har ikke noe emne med denne adressen." in page.text
            posted = await h.client.post(
                path, data={"email": ADDRESS, "frequency": "daily", "csrf_token": token}
            )
            assert posted.status_code == 404
        english = await h.client.get("/subscribe/finnes-ikke?lang=en")
        assert "We have no topic at this address." in english.text
        assert await h.state() == (0, 0, 0, 0, 0)


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


BAD_ADDRESSES = [
    ("", "Skriv inn e-postadressen din."),
    ("   ", "Skriv inn e-postadressen din."),
    ("ikke-en-adresse", "Skriv en gyldig e-postadresse"),
    ("a@b.no\r\nBcc: x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no\nBcc: x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no%0d%0aBcc:x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no, x@y.no", "Skriv en gyldig e-postadresse"),
    ("Kari <a@b.no>", "Skriv en gyldig e-postadresse"),
    ("a" * 250 + "@example.no", "Skriv en gyldig e-postadresse"),
    ("x" * 50_000 + "@example.no", "Skriv en gyldig e-postadresse"),  # under the body limit
    (HOSTILE + "@example.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no\x00", "Skriv en gyldig e-postadresse"),
    ("k" * 65 + "@example.no", "Delen før @ kan være høyst 64 tegn"),
    ("=?utf-8?q?kari=0D=0Abcc=3A_ola=40example=2Eno?=@example.no", "uten koding"),
]


async def test_bad_addresses_get_the_form_back(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for email, message in BAD_ADDRESSES:
            answer = await sign_up(h.client, email)
            assert answer.status_code == 400, email
            assert message in answer.text, email
            assert 'aria-invalid="true"' in answer.text
            assert "<script>alert" not in answer.text
            assert "<img src=x" not in answer.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_a_long_field_is_read_whole_never_cut_into_another_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Spaces before an address pushed its tail past 1,000 characters: a form reader that cut
    there signed up kari@example.no instead of the kari@example.no.eu the person typed."""
    typed = "kari@example.no.eu"
    cut_into = typed[: typed.index(".eu")]
    padded = " " * (1000 - len(cut_into)) + typed
    async with running(sqlite_url, tmp_path) as h:
        answer = await sign_up(h.client, padded)
        assert answer.status_code == 200, answer.text
        assert await h.subscriber(typed) is not None
        assert await h.subscriber(cut_into) is None
        # Too long to be an address at all: a 400 with the reason beside the field, no row.
        too_long = await sign_up(h.client, " " * 990 + "x" * 300 + "@example.no")
        assert too_long.status_code == 400
        assert "Skriv en gyldig e-postadresse" in too_long.text
        assert 'aria-invalid="true"' in too_long.text
        assert await h.count(Subscriber) == 1


async def test_hostile_input_in_every_field_is_escaped(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        hostile = {
            "email": HOSTILE,
            "frequency": HOSTILE,
            "related": [HOSTILE, "x" * 50_000],
            "lang": HOSTILE,
            "csrf_token": token,
            HOSTILE: HOSTILE,
        }
        headers = {"Referer": HOSTILE, "Accept-Language": HOSTILE}
        for path in (f"/subscribe/{TOPIC}", f"/embed/subscribe/{TOPIC}", "/manage-link"):
            answer = await h.client.post(f"{path}?lang={HOSTILE}", data=hostile, headers=headers)
            assert answer.status_code == 400
            assert "<script>" not in answer.text
            assert "<img" not in answer.text
            if "subscribe" in path:  # the email field comes back, escaped
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
            assert 'lang="nb"' in answer.text  # an unknown language falls back to bokmål
        for path in (f"/subscribe/{HOSTILE}", f"/confirm/{HOSTILE}", f"/manage/{HOSTILE}"):
            page = await h.client.get(path)
            assert page.status_code == 404
            assert "<script>" not in page.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_characters_html_cannot_carry_are_left_out_of_what_comes_back(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A NUL pasted with an address, controls from a script: escaped, they would still make the
    # page invalid HTML. The address is refused as sent; the field shows the rest of it.
    uncarriable = "\x00\x01\x1f\x7f\x85\ufdd0\ufffe\U0010ffff"
    typed = f"kari{uncarriable}@example.no"
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        fields = {"email": typed, "frequency": "daily", "topics": TOPIC, "csrf_token": token}
        answers = [
            await h.client.post(path, data={**fields, "page": path})
            for path in (f"/subscribe/{TOPIC}", "/", "/manage-link")
        ]
        for answer in answers:
            assert answer.status_code == 400
            assert 'value="kari@example.no"' in answer.text
        answers.append(await h.client.get("/", params={"q": f"helse{uncarriable}"}))
        assert answers[-1].status_code == 400
        assert 'value="helse"' in answers[-1].text
        unknown = await h.client.get("/nope%00%01%7F?lang=en", headers={"accept": "text/html"})
        assert unknown.status_code == 404
        assert 'href="/nope%00%01%7F?lang=nb"' in unknown.text
        answers.append(unknown)
        for answer in answers:
            left = [char for char in uncarriable if char in answer.text]
            assert left == [], answer.request.url
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


async def _answers(h: Harness, client: httpx.AsyncClient, address: str) -> tuple[str, str]:
    signup = await sign_up(client, address)
    token = csrf((await client.get("/manage-link")).text)
    manage = await client.post("/manage-link", data={"email": address, "csrf_token": token})
    assert signup.status_code == manage.status_code == 200
    return _without_csrf(signup.text), _without_csrf(manage.text)


async def test_answers_never_reveal_whether_an_address_is_known(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, "confirmed@example.no")
        await sign_up(h.client, "pending@example.no")
        await subscribed(h, "ended@example.no")
        ended = await h.link_token("ended@example.no", "unsubscribe")
        await h.client.post(f"/one-click/{ended}", data={"List-Unsubscribe": "One-Click"})
        seen: dict[str, tuple[str, str]] = {}
        headers: dict[str, list[str]] = {}
        for address in (
            "unknown@example.no",
            "pending@example.no",
            "confirmed@example.no",
            "Confirmed@Example.NO",
            "ended@example.no",
        ):
            async with h.browser() as browser:
                seen[address] = await _answers(h, browser, address)
                again = await sign_up(browser, address)
                # Length and the request's own id vary per answer, not with the address.
                headers[address] = sorted(
                    f"{k}: {v}"
                    for k, v in again.headers.items()
                    if k not in ("content-length", "x-request-id")
                )
        assert len(set(seen.values())) == 1, "the answers differ between addresses"
        assert len({tuple(v) for v in headers.values()}) == 1


async def test_signing_up_again_while_pending_mails_each_request_up_to_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, signup_limit_per_address=3) as h:
        for n in range(3):
            async with h.browser(f"192.0.2.{n}") as browser:
                assert (await sign_up(browser, ADDRESS)).status_code == 200
        # Each sign-up is a request of its own, with its own mail, and the first is untouched.
        assert await h.events(SIGNUP) == 3
        assert await h.count(SignupRequest, SignupRequest.confirmed_at.is_(None)) == 3
        before = await h.state()
        async with h.browser("198.51.100.9") as browser:
            assert (await sign_up(browser, ADDRESS)).status_code == 429
        assert await h.state() == before, "over the limit, nothing is stored or mailed"
        assert [r.action for r in await h.ledger()] == ["requested"] * 3


async def test_signing_up_again_when_subscribed_adds_topics(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        unknown = await sign_up(h.client, "someone-else@example.no", slug=UNRELATED)
        known = await sign_up(h.client, ADDRESS, slug=UNRELATED, frequency="weekly")
        assert _without_csrf(known.text) == _without_csrf(unknown.text)
        assert await h.open_topics(ADDRESS) == {TOPIC}  # nothing changes before confirming
        person = await h.subscriber(ADDRESS)
        assert person is not None
        request_id = await h.scalar(
            select(SignupRequest.id).where(
                SignupRequest.subscriber_id == person.id, SignupRequest.confirmed_at.is_(None)
            )
        )
        async with h.runtime.sessions() as session:
            mail = await read_api.confirmation_context(session, request_id)
        # The mail, not the page, says what the person already has.
        assert mail is not None
        assert mail.existing_topics == (TOPIC,)
        assert mail.topics == (UNRELATED,)
        done = await confirm(h, ADDRESS)
        assert done.status_code == 200
        assert await h.open_topics(ADDRESS) == {TOPIC, UNRELATED}
        person = await h.subscriber(ADDRESS)
        assert person is not None and person.frequency == "weekly"


async def test_related_topics_accept_only_the_topics_related_slugs(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        answer = await sign_up(
            h.client, ADDRESS, related=[RELATED[0], UNRELATED, "finnes-ikke", TOPIC, RELATED[0]]
        )
        assert answer.status_code == 200
        (topics,) = await h.all(select(SignupRequest.topics))
        assert sorted(topics) == sorted([TOPIC, RELATED[0]])
        await confirm(h, ADDRESS)
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[0]}
        assert await h.count(Subscriber) == 1
