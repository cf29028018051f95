"""The publisher API: a CMS pushes a change with a publisher token, once per idempotency key.

Real SQLite and PostgreSQL; the app over ASGI. What reaches the mailer is read from the outbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry, PublisherToken
from services.watcher.adapters.tables import WatchedSource
from shared.catalogue_file import parse_catalogue_text
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, running, sign_in
from tests.integration.admin.publisher_support import (
    CHANGE,
    WATCHED,
    bearer,
    changes_sent,
    publisher_token,
    token_before_sites,
    watched_source,
)


async def test_a_push_becomes_one_content_changed_event_naming_its_source(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        source_id = await watched_source(h)
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["replayed"] is False and body["source_id"] == source_id
        [event] = await changes_sent(h)
        assert str(event.event_id) == body["change_id"]
        assert event.topics == (TOPIC,) and event.url == WATCHED
        assert event.source_id == source_id and event.source_url == WATCHED
        assert event.producer == "publisher" and event.minor is False
        assert event.note == event.summary == CHANGE["note"]
        async with h.runtime.sessions() as session:
            used = await session.scalar(select(PublisherToken.last_used_at))
            audit = (await session.scalars(select(AdminAuditEntry))).all()
        assert used is not None
        assert [(a.actor, a.action, a.target) for a in audit] == [
            ("publisher:WordPress", "change_pushed", body["change_id"])
        ]


async def test_a_pushed_title_is_one_line_shows_something_and_no_words_are_turned_around(
    database_url: str, tmp_path: Path
) -> None:
    # What a CMS copied from a word processor: line breaks, a bell, a right-to-left override
    # that shows "fdp.tropper" as "reppoRt.pdf", an isolate and a BOM.
    title = "Ny rapport\r\n\u2028om vann \u202efdp.tropper\u202c\x07 \u2066\ufeffi dag"
    note = "Første avsnitt\u202e snudd.\r\n\r\nAndre\x1b[31m avsnitt.\u2067"
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes",
                json={**CHANGE, "title": title, "note": note},
                headers=bearer(token),
            )
            assert answer.status_code == 202, answer.text
            # Zero-width spaces and a word joiner alone would leave the alert's subject blank.
            blank = {**CHANGE, "title": "\u200b\u200b \u2060"}
            answer = await client.post("/api/v1/changes", json=blank, headers=bearer(token, "k2"))
            assert answer.status_code == 202, answer.text
        sent = {e.title: e for e in await changes_sent(h)}
    assert sorted(sent) == ["Ny rapport om vann fdp.tropper i dag", CHANGE["url"]]
    event = sent["Ny rapport om vann fdp.tropper i dag"]
    assert event.note == "Første avsnitt snudd.\r\n\r\nAndre[31m avsnitt."


@pytest.mark.parametrize(
    ("field", "value", "character"),
    [
        ("title", "Ny\ufffe rapport om vann", "U+FFFE"),
        ("note", "Første avsnitt.\n\nAndre \ufdefavsnitt.", "U+FDEF"),
        ("url", WATCHED + "\U0010ffff", "U+10FFFF"),
    ],
)
async def test_a_noncharacter_in_a_pushed_field_is_a_400_naming_it(
    database_url: str, tmp_path: Path, field: str, value: str, character: str
) -> None:
    # JSON may carry any code point, but no page or mail may show a noncharacter: left out
    # unseen, the publisher's words would be mailed other than they sent them.
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", json={**CHANGE, field: value}, headers=bearer(token)
            )
        assert answer.status_code == 400, answer.text
        assert answer.json()["detail"] == "the change cannot be used"
        [problem] = answer.json()["errors"]
        assert problem["field"] == field
        assert f"holds {character}, a Unicode noncharacter" in problem["reason"]
        assert await changes_sent(h) == []


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({**CHANGE, "url": "ftp://example.org/x"}, "url", "http or https"),
        ({**CHANGE, "url": "/relative"}, "url", "absolute"),
        ({**CHANGE, "url": "https://example.org/" + "a" * 2000}, "url", "at most 2000"),
        ({**CHANGE, "url": "https://example.org/" + "a b" * 600}, "url", "percent-encoded"),
        ({**CHANGE, "topics": []}, "topics", "at least 1"),
        ({k: v for k, v in CHANGE.items() if k != "topics"}, "topics", "required"),
        ({k: v for k, v in CHANGE.items() if k != "title"}, "title", "required"),
        ({**CHANGE, "title": "   "}, "title", "at least 1"),
        ({**CHANGE, "minor": "kanskje"}, "minor", "boolean"),
        ({**CHANGE, "topic": TOPIC}, "topic", "not permitted"),
        ([CHANGE], "body", "dictionary"),
        ({**CHANGE, "note": "x" * 20001}, "note", "at most 20000"),
    ],
)
async def test_bad_input_is_a_400_with_a_reason_per_field(
    sqlite_url: str, tmp_path: Path, body: Any, field: str, reason: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", json=body, headers=bearer(token))
        assert answer.status_code == 400, answer.text
        problems = {p["field"]: p["reason"] for p in answer.json()["errors"]}
        assert field in problems and reason in problems[field], problems
        assert await changes_sent(h) == []


@pytest.mark.parametrize(
    ("content", "key", "field"),
    [
        (b"{not json", "k", "body"),
        (b"\xff", "k", "body"),  # not UTF-8 (a UTF-16 BOM is a 415: test_publisher_strict_input)
        # Nested deeper than the parser recurses: a 400, not a RecursionError's 500.
        (b"[" * 50_000, "k", "body"),
        (json.dumps(CHANGE).encode(), None, "Idempotency-Key"),
        (json.dumps(CHANGE).encode(), "x" * 201, "Idempotency-Key"),
        (json.dumps(CHANGE).encode(), "nøkkel".encode(), "Idempotency-Key"),
        # Half of a UTF-16 pair, which JSON may escape and no UTF-8 answer can carry: a 400,
        # not a 500 while the answer that names it is written.
        (json.dumps({**CHANGE, "note": "\ud800"}).encode(), "k", "note"),
        # NaN and Infinity, which Python's parser takes and no JSON answer can carry: a 400
        # naming the field, not a 500 while the answer is written.
        (json.dumps({**CHANGE, "title": float("nan")}).encode(), "k", "title"),
        (json.dumps({**CHANGE, "topics": [float("inf")]}).encode(), "k", "topics.0"),
        (json.dumps({**CHANGE, "extra": {"x": float("-inf")}}).encode(), "k", "extra"),
    ],
)
async def test_a_body_that_is_not_json_or_a_missing_key_is_a_400(
    sqlite_url: str, tmp_path: Path, content: bytes, key: str | bytes | None, field: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h)
        headers = {
            b"Authorization": f"Bearer {token}".encode(),
            b"Content-Type": b"application/json",
        }
        if key:
            # Raw bytes, so a key that is not ASCII reaches varsel as a client would send it.
            headers[b"Idempotency-Key"] = key if isinstance(key, bytes) else key.encode()
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", content=content, headers=headers)
        assert answer.status_code == 400, answer.text
        assert field in {p["field"] for p in answer.json()["errors"]}, answer.text
        assert await changes_sent(h) == []


async def test_an_unknown_topic_is_a_422_naming_it_and_an_ended_one_a_410(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            unknown = await client.post(
                "/api/v1/changes",
                json={**CHANGE, "topics": [TOPIC, "norge-i-verdne"]},
                headers=bearer(token),
            )
            ended = CATALOGUE.replace(f'related = ["{OTHER}"]', "").replace(
                f'slug = "{OTHER}"', f'slug = "{OTHER}"\nretired = true'
            )
            h.runtime.catalogue.replace(parse_catalogue_text(ended, "test"), 2)
            retired = await client.post(
                "/api/v1/changes",
                json={**CHANGE, "topics": [TOPIC, OTHER]},
                headers=bearer(token, "k2"),
            )
        assert unknown.status_code == 422
        assert unknown.json()["unknown_topics"] == ["norge-i-verdne"]
        assert "1 unknown topic(s): norge-i-verdne" in unknown.json()["detail"]
        assert retired.status_code == 410
        assert retired.json()["retired_topics"] == [OTHER]
        assert await changes_sent(h) == []


async def test_many_long_unknown_topics_are_counted_and_clipped_not_echoed_whole(
    sqlite_url: str, tmp_path: Path
) -> None:
    made_up = [f"{n:02d}" + "x" * 98 for n in range(20)]
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "topics": made_up}, headers=bearer(token)
            )
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"].startswith("20 unknown topic(s): 00xxx")
    assert len(body["detail"]) < 100
    assert len(body["unknown_topics"]) == 20
    assert all(len(t) <= 41 for t in body["unknown_topics"])  # 40 and the «…»
    assert len(answer.content) < 2_000
    assert await changes_sent(h) == []


async def test_only_a_live_publisher_token_opens_the_api_and_it_opens_nothing_else(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("operatør", "operator")
        _, admin_token = await h.token("operatør")
        token = await publisher_token(h)
        revoked = await publisher_token(h, "Gammel CMS")
        async with h.runtime.sessions() as session, session.begin():
            number = await session.scalar(
                select(PublisherToken.id).where(PublisherToken.name == "Gammel CMS")
            )
        async with h.client() as client:
            assert (await sign_in(client, "operatør")).status_code in (200, 303)
            page = await client.get("/admin/publishers")
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            revoke = await client.post(
                "/admin/publishers/revoke", data={"token": str(number), "csrf_token": csrf}
            )
            assert revoke.status_code == 200
            # The signed-in session's cookies do not open the publisher API.
            by_session = await client.post("/api/v1/changes", json=CHANGE)
        async with h.client() as client:
            attempts = {
                "none": await client.post("/api/v1/changes", json=CHANGE),
                "admin token": await client.post(
                    "/api/v1/changes", json=CHANGE, headers=bearer(admin_token)
                ),
                "revoked": await client.post(
                    "/api/v1/changes", json=CHANGE, headers=bearer(revoked)
                ),
                "made up": await client.post(
                    "/api/v1/changes", json=CHANGE, headers=bearer("varsel_pub_" + "x" * 43)
                ),
                "check without": await client.post("/api/v1/sources/1/check"),
            }
            admin_api = await client.get("/api/v1/admin/operations", headers=bearer(token))
        assert by_session.status_code == 401
        assert {name: a.status_code for name, a in attempts.items()} == dict.fromkeys(attempts, 401)
        assert all(a.headers["WWW-Authenticate"] == "Bearer" for a in attempts.values())
        assert admin_api.status_code == 401
        assert await changes_sent(h) == []


async def test_a_check_makes_the_source_due_now_and_an_unknown_source_is_a_404(
    database_url: str, tmp_path: Path
) -> None:
    # A 404 for a token issued before tokens had sites; one with sites is told 403 alike for
    # another site's source and for none (test_publisher_sites.py).
    async with running(database_url, tmp_path) as h:
        source_id = await watched_source(h)
        token = await publisher_token(h)
        old = await token_before_sites(h)
        async with h.client() as client:
            known = await client.post(f"/api/v1/sources/{source_id}/check", headers=bearer(token))
            unknown = await client.post("/api/v1/sources/9999/check", headers=bearer(old))
            bad = await client.post("/api/v1/sources/eins/check", headers=bearer(token))
        assert known.status_code == 202, known.text
        assert unknown.status_code == 404 and "9999" in unknown.json()["detail"]
        assert bad.status_code == 400
        async with h.runtime.sessions() as session:
            due = await session.scalar(select(WatchedSource.next_check_at))
            audit = (await session.scalars(select(AdminAuditEntry.action))).all()
        assert due == h.runtime.clock.now() or (due is not None and due <= h.runtime.clock.now())
        assert audit == ["source_check_requested"]


async def test_a_paused_source_is_not_checked(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        source_id = await watched_source(h)
        async with h.runtime.sessions() as session, session.begin():
            row = await session.get(WatchedSource, source_id)
            assert row is not None
            row.active = False
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(f"/api/v1/sources/{source_id}/check", headers=bearer(token))
        assert answer.status_code == 409
        assert answer.json()["detail"] == (
            f"source {source_id} is not watched (paused, or out of the catalogue)"
        )


async def test_the_openapi_document_describes_the_publisher_api(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        document = (await client.get("/openapi.json")).json()
    change = document["paths"]["/api/v1/changes"]["post"]
    assert {"400", "401", "410", "422"} <= set(change["responses"])
    assert "Idempotency-Key" in {p["name"] for p in change["parameters"]}
    schema = change["requestBody"]["content"]["application/json"]["schema"]
    assert {"topics", "url", "title", "note", "minor"} <= set(schema["properties"])
    assert "/api/v1/sources/{source_id}/check" in document["paths"]


async def test_a_token_past_its_hourly_limit_is_told_when_to_come_back(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, publisher_pushes_per_hour=2) as h:
        token = await publisher_token(h)
        other = await publisher_token(h, "Drupal")
        async with h.client() as client:
            answers = [
                await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token, f"k{i}"))
                for i in range(3)
            ]
            elsewhere = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(other))
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert int(answers[2].headers["Retry-After"]) > 0
        assert answers[2].json()["detail"] == "more than 2 requests this hour with this token"
        assert elsewhere.status_code == 202, "each token has its own limit"
        assert len(await changes_sent(h)) == 3
