"""The JSON API: the same journeys, neutral answers, clear 4xx details, the same limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from services.subscriptions.adapters.tables import Subscriber

from .harness import ENDED_CATALOGUE, RELATED, TOPIC, UNRELATED, running, subscribed

ADDRESS = "kari.nordmann@example.no"


async def test_json_journey_sign_up_to_erasure(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        topics = (await h.client.get("/api/v1/topics")).json()
        assert {t["slug"] for t in topics} >= {TOPIC, UNRELATED, *RELATED}
        assert next(t for t in topics if t["slug"] == TOPIC)["title"]["en"] == "Norway in the world"

        body = {"email": "Kari.Nordmann@Example.no", "topics": [TOPIC], "frequency": "daily"}
        first = await h.client.post("/api/v1/subscriptions", json=body)
        assert first.status_code == 202
        assert first.json()["status"] == "accepted"
        assert "Hvis adressen kan motta varsler" in first.json()["detail"]
        token = await h.confirm_token(ADDRESS)

        confirmed = await h.client.post(f"/api/v1/confirmations/{token}")
        assert confirmed.status_code == 200
        assert confirmed.json()["topics"] == [TOPIC]
        manage = confirmed.json()["manage_token"]
        ledger = [r.action for r in await h.ledger()]
        reused = await h.client.post(f"/api/v1/confirmations/{token}")  # a client's retry
        assert reused.status_code == 409
        assert "already confirmed" in reused.json()["detail"]
        assert "manage_token" not in reused.json()
        assert [r.action for r in await h.ledger()] == ledger
        assert await h.events("subscriber.confirmed.v1") == 1

        preferences = await h.client.get(f"/api/v1/preferences/{manage}")
        assert preferences.json() == {"topics": [TOPIC], "frequency": "daily", "language": "nb"}
        wanted = {"topics": [TOPIC, UNRELATED], "frequency": "weekly", "language": "en"}
        changed = await h.client.put(f"/api/v1/preferences/{manage}", json=wanted)
        assert changed.status_code == 200
        assert changed.json() == {**wanted, "topics": sorted(wanted["topics"])}
        assert await h.open_topics(ADDRESS) == {TOPIC, UNRELATED}

        ended = await h.client.post(f"/api/v1/unsubscribe/{manage}", json={"topics": [UNRELATED]})
        assert ended.json() == {"ended": [UNRELATED]}
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        assert (await h.client.get(f"/api/v1/preferences/{unsubscribe}")).status_code == 404

        erased = await h.client.delete(f"/api/v1/subscribers/{unsubscribe}")
        assert erased.status_code == 200
        assert "keyed code" in erased.json()["kept"]  # in the person's language (en now)
        assert await h.count(Subscriber) == 0
        for method, url in (
            ("GET", f"/api/v1/preferences/{manage}"),
            ("POST", f"/api/v1/unsubscribe/{unsubscribe}"),
            ("DELETE", f"/api/v1/subscribers/{manage}"),
        ):
            assert (await h.client.request(method, url)).status_code == 404
        ledger = await h.ledger()
        assert [r.action for r in ledger] == [
            "requested",
            "confirmed",
            "preferences_changed",
            "unsubscribed",
            "unsubscribed",
            "erased",
        ]
        assert ledger[0].channel == "api"
        assert ledger[-1].channel == "api"
        assert ledger[-1].details == {"route": "link"}


async def test_json_answers_are_neutral(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.client.post("/api/v1/subscriptions", json={"email": ADDRESS, "topics": [TOPIC]})
        await h.client.post(f"/api/v1/confirmations/{await h.confirm_token(ADDRESS)}")
        answers = set()
        for address in (ADDRESS, "unknown@example.no", ADDRESS.upper()):
            for path, body in (
                ("/api/v1/subscriptions", {"email": address, "topics": [TOPIC]}),
                ("/api/v1/manage-links", {"email": address}),
            ):
                answer = await h.client.post(path, json=body)
                answers.add((path, answer.status_code, answer.text))
        assert len(answers) == 2


async def test_json_bad_input_gets_a_clear_detail(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        cases = [
            ({"email": "nope", "topics": [TOPIC]}, "Skriv en gyldig e-postadresse"),
            ({"email": "a@b.no\r\nBcc: x@y.no", "topics": [TOPIC]}, "gyldig"),
            ({"email": "nope", "topics": [TOPIC], "language": "en"}, "Enter a valid email"),
            ({"email": ADDRESS, "topics": ["finnes-ikke"]}, "unknown topic(s): finnes-ikke"),
            ({"email": ADDRESS, "topics": []}, "at least 1"),
            ({"email": ADDRESS, "topics": [TOPIC], "frequency": "hourly"}, "immediate"),
            ({"email": ADDRESS, "topics": [TOPIC], "admin": True}, "Extra inputs"),
            ({"email": "x" * 400 + "@example.no", "topics": [TOPIC]}, "at most 320"),
            ({"email": "k" * 65 + "@example.no", "topics": [TOPIC]}, "høyst 64 tegn"),
            (
                {"email": "=?utf-8?q?a=0D=0A?=@example.no", "topics": [TOPIC], "language": "en"},
                "without encoding",
            ),
        ]
        for body, detail in cases:
            answer = await h.client.post("/api/v1/subscriptions", json=body)
            assert answer.status_code == 422, body
            assert detail in answer.text, (body, answer.text)
        as_form = await h.client.post(
            "/api/v1/subscriptions", data={"email": ADDRESS, "topics": TOPIC}
        )
        assert as_form.status_code == 415  # a form post (CSRF-able) is not accepted as JSON
        broken = await h.client.post(
            "/api/v1/subscriptions",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 422
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_unknown_topics_are_counted_and_shown_in_a_short_excerpt(
    sqlite_url: str, tmp_path: Path
) -> None:
    # docs/security.md: a 422 shows at most a 40-character excerpt of what it refuses.
    made_up = [f"{n:02d}-" + "x" * 97 for n in range(20)]
    async with running(sqlite_url, tmp_path) as h:
        await h.client.post("/api/v1/subscriptions", json={"email": ADDRESS, "topics": [TOPIC]})
        manage = await h.link_token(ADDRESS, "manage")
        answers = [
            await h.client.post(
                "/api/v1/subscriptions", json={"email": ADDRESS, "topics": made_up}
            ),
            await h.client.put(
                f"/api/v1/preferences/{manage}",
                json={"topics": made_up, "frequency": "daily", "language": "nb"},
            ),
            await h.client.post(f"/api/v1/unsubscribe/{manage}", json={"topics": made_up}),
        ]
        for answer in answers:
            assert answer.status_code == 422, answer.text
            detail = answer.json()["detail"]
            assert detail.startswith("20 unknown topic(s): 00-xxx"), detail
            assert len(detail) <= len("20 unknown topic(s): ") + 40 + 1, detail
            assert len(answer.content) < 200


async def test_an_ended_topic_is_a_410_naming_it_not_an_unknown_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    # As the publisher API answers and the pages say: the topic has ended, it is not unknown.
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        await h.client.post("/api/v1/subscriptions", json={"email": ADDRESS, "topics": [UNRELATED]})
        manage = await h.link_token(ADDRESS, "manage")
        before = await h.state()
        answers = [
            await h.client.post(
                "/api/v1/subscriptions",
                json={"email": ADDRESS, "topics": ["gammelt-tema", "finnes-ikke"]},
            ),
            await h.client.put(
                f"/api/v1/preferences/{manage}",
                json={"topics": ["gammelt-tema"], "frequency": "daily", "language": "nb"},
            ),
            await h.client.post(f"/api/v1/unsubscribe/{manage}", json={"topics": ["gammelt-tema"]}),
        ]
        for answer in answers:
            assert answer.status_code == 410, answer.text
            assert answer.json() == {
                "detail": "1 topic(s) ended: gammelt-tema",
                "retired_topics": ["gammelt-tema"],
            }
            assert answer.headers["cache-control"] == "no-store"
        unknown = await h.client.post(
            "/api/v1/subscriptions", json={"email": ADDRESS, "topics": ["finnes-ikke"]}
        )
        assert unknown.status_code == 422
        assert unknown.json() == {"detail": "1 unknown topic(s): finnes-ikke"}
        assert await h.state() == before
        documented = (await h.client.get("/openapi.json")).json()["paths"]
        answer = documented["/api/v1/subscriptions"]["post"]["responses"]["410"]
        schema = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schema == "Retired"


async def test_json_rate_limits(sqlite_url: str, tmp_path: Path) -> None:
    async with running(
        sqlite_url, tmp_path, signup_limit_per_address=2, signup_limit_per_client=4
    ) as h:
        codes = [
            (await h.client.post("/api/v1/subscriptions", json={"email": e, "topics": [TOPIC]}))
            for e in (ADDRESS, ADDRESS, ADDRESS, "a@example.no", "b@example.no", "c@example.no")
        ]
        # A refused sign-up is rolled back whole, its count too: limits count accepted ones.
        assert [c.status_code for c in codes] == [202, 202, 429, 202, 202, 429]
        assert "For mange forsøk" not in codes[2].text  # the detail is the explanation itself
        assert "hindre misbruk" in codes[2].json()["detail"]
        assert codes[2].headers["retry-after"] == "3600"


async def test_openapi_documents_the_api(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        schema = (await h.client.get("/openapi.json")).json()
        paths = schema["paths"]
        assert set(paths["/api/v1/preferences/{token}"]) == {"get", "put"}
        assert "post" in paths["/api/v1/subscriptions"]
        assert "202" in paths["/api/v1/subscriptions"]["post"]["responses"]
        assert "delete" in paths["/api/v1/subscribers/{token}"]
        # The sign-up form's POST, served by a plain route, is described by its documented twin.
        assert "post" in paths["/subscribe/{slug}"]
        for model in ("SignupIn", "Accepted", "Preferences", "Problem", "Erased"):
            assert model in schema["components"]["schemas"], model


async def test_invalid_input_is_never_echoed_back_whole(sqlite_url: str, tmp_path: Path) -> None:
    long_value = "kari" + "a" * 30_000
    long_key = "nøkkel" + "k" * 30_000
    async with running(sqlite_url, tmp_path) as h:
        for body in (
            {"email": long_value, "topics": [TOPIC]},
            {"email": ADDRESS, "topics": [TOPIC], long_key: True},
            {"email": ADDRESS, "topics": [long_value]},
            {"email": ADDRESS, "topics": [TOPIC] * 2_000},
        ):
            answer = await h.client.post("/api/v1/subscriptions", json=body)
            assert answer.status_code == 422
            assert len(answer.content) < 2_000, answer.text[:300]
            problem = answer.json()["detail"][0]
            # Enough of the input is left to tell which value it was, and where it was.
            assert problem["loc"][0] == "body"
            assert problem["msg"]
            assert "kari" in answer.text or "nøkkel" in answer.text or TOPIC in answer.text


async def test_bodies_over_the_limit_are_refused_with_the_limit(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, ("subscriptions", "admin"), max_body_bytes=2048) as h:
        big = {"email": ADDRESS, "topics": [TOPIC], "note": "x" * 4096}
        answer = await h.client.post("/api/v1/subscriptions", json=big)
        assert answer.status_code == 413
        assert "2048 bytes" in answer.json()["detail"]
        form = await h.client.post(f"/subscribe/{TOPIC}", data={"email": "x" * 4096})
        assert form.status_code == 413
        assert "2048 bytes" in form.text

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b"x" * 1024

        # No Content-Length: counted while it streams.
        streamed = await h.client.post(
            "/api/v1/subscriptions", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert "2048 bytes" in streamed.text
        # The staff side takes more before it answers (here: not signed in, so a 401 or login).
        staff = await h.client.post(
            "/api/v1/admin/consent/lookup", json={"address": ADDRESS, "note": "x" * 4096}
        )
        assert staff.status_code != 413
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_the_ledger_names_the_integration_that_signed_someone_up(
    sqlite_url: str, tmp_path: Path
) -> None:
    body = {"email": ADDRESS, "topics": [TOPIC], "frequency": "daily"}
    async with running(sqlite_url, tmp_path) as h:
        # No integration listed: API sign-ups are recorded as the API's, and naming one is refused.
        named = await h.client.post("/api/v1/subscriptions", json={**body, "client": "fhi-app"})
        assert named.status_code == 422
        assert "VARSEL_API_CLIENTS" in named.json()["detail"]
        assert (await h.client.post("/api/v1/subscriptions", json=body)).status_code == 202
        assert [r.page for r in await h.ledger()] == ["api"]
    async with running(sqlite_url, tmp_path, api_clients=("fhi-app", "kommune.cms")) as h:
        for client in (None, "ukjent", "=HYPERLINK(1)"):
            refused = await h.client.post("/api/v1/subscriptions", json={**body, "client": client})
            assert refused.status_code == 422, client
        assert await h.state() == (1, 0, 1, 1, 1)  # the first run's sign-up, and nothing new
        known = await h.client.post("/api/v1/subscriptions", json={**body, "client": "fhi-app"})
        assert known.status_code == 202
        assert [r.page for r in await h.ledger()] == ["api", "api:fhi-app"]


async def test_a_value_no_answer_can_carry_in_a_json_body_is_a_422(
    sqlite_url: str, tmp_path: Path
) -> None:
    # JSON may escape half of a UTF-16 pair (\ud800) that no UTF-8 text can hold, and Python's
    # parser takes NaN and Infinity, which no JSON answer can carry; the answer that names the
    # bad value must still be written, not fail as a 500.
    bodies = (
        b'{"email": "\\ud800@example.no", "topics": ["' + TOPIC.encode() + b'"]}',
        b'{"email": "kari@example.no", "topics": ["\\udfff"]}',
        b'{"email": "kari@example.no", "topics": ["' + TOPIC.encode() + b'"], "\\ud800": 1}',
        b'{"email": NaN, "topics": ["' + TOPIC.encode() + b'"]}',
        b'{"email": "kari@example.no", "topics": [Infinity]}',
        b'{"email": "kari@example.no", "topics": ["' + TOPIC.encode() + b'"], "x": [-Infinity]}',
    )
    async with running(sqlite_url, tmp_path) as h:
        for body in bodies:
            answer = await h.client.post(
                "/api/v1/subscriptions",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert answer.status_code == 422, body
            assert answer.json()["detail"][0]["loc"][0] == "body"
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_a_body_a_cross_site_page_can_send_is_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A page on another site can POST here without a CORS preflight only with a "simple"
    # content type (a form's, text/plain) or none at all (fetch with an untyped Blob, no-cors):
    # none of those is JSON, so none may sign anyone up from a visitor's browser.
    body = b'{"email": "kari.nordmann@example.no", "topics": ["%s"], "frequency": "daily"}' % (
        TOPIC.encode()
    )
    async with running(sqlite_url, tmp_path) as h:
        for content_type in (None, "text/plain", "text/plain;charset=UTF-8"):
            headers = {"Content-Type": content_type} if content_type else {}
            answer = await h.client.post("/api/v1/subscriptions", content=body, headers=headers)
            assert answer.status_code == 415, (content_type, answer.status_code)
            assert "application/json" in answer.json()["detail"]
        assert await h.count(Subscriber) == 0
        sent = await h.client.post(
            "/api/v1/subscriptions", content=body, headers={"Content-Type": "application/json"}
        )
        assert sent.status_code == 202


async def test_an_unsubscribe_link_ends_alerts_or_erases_and_nothing_else(
    sqlite_url: str, tmp_path: Path
) -> None:
    # What docs/security.md says the link in every mail can do, and all it can do.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS, related=[RELATED[0]])
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        # It neither reads nor changes a person's choices, nor confirms anything...
        assert (await h.client.get(f"/api/v1/preferences/{unsubscribe}")).status_code == 404
        wanted = {"topics": [TOPIC, UNRELATED], "frequency": "weekly", "language": "en"}
        changed = await h.client.put(f"/api/v1/preferences/{unsubscribe}", json=wanted)
        assert changed.status_code == 404
        assert (await h.client.post(f"/api/v1/confirmations/{unsubscribe}")).status_code == 404
        page = await h.client.get(f"/unsubscribe/{unsubscribe}")
        assert page.status_code == 200
        assert ADDRESS not in page.text.lower()
        assert await h.open_topics(ADDRESS) == {TOPIC, RELATED[0]}
        # ... it ends some alerts or all of them, and it erases the address.
        ended = await h.client.post(f"/api/v1/unsubscribe/{unsubscribe}", json={"topics": [TOPIC]})
        assert ended.json() == {"ended": [TOPIC]}
        assert await h.open_topics(ADDRESS) == {RELATED[0]}
        assert 'value="erase"' in page.text
        # The one-click address carries the same token and, opened, leads to the same page.
        opened = await h.client.get(f"/one-click/{unsubscribe}")
        assert opened.headers["location"] == f"/unsubscribe/{unsubscribe}"
        erased = await h.client.delete(f"/api/v1/subscribers/{unsubscribe}")
        assert erased.status_code == 200
        assert await h.count(Subscriber) == 0
