"""Consent audit: lookup after erasure, the audit trail, exports, pages, chart and retention."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from services.admin import catalogue as commands
from services.admin import read_api as admin_read
from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.action_wording import LEDGER_ACTIONS
from services.subscriptions import retention
from services.subscriptions.adapters.tables import ConsentRecord, Subscriber
from tests.integration.admin.harness import (
    OTHER,
    TOPIC,
    Harness,
    csrf_token,
    running,
    sign_in,
    signup_page,
)
from tests.support.csv_exports import csv_text
from tests.support.form_errors import FieldMarks, field_marks, summary_links
from tests.support.journey import form_with
from tests.support.notices import NOTICES
from tests.support.words import admin_text

ADDRESS = "Kari.Nordmann@Example.org"
NORMAL = "kari.nordmann@example.org"


async def erased_person(h: Harness) -> None:
    await h.sign_up(NORMAL)
    await h.confirm(NORMAL)
    await h.erase(NORMAL)


async def test_lookup_after_erasure_shows_the_whole_timeline(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await erased_person(h)
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            # Typed as the person might write it: case and spaces do not matter.
            found = (
                await api.post("/api/v1/admin/consent/lookup", json={"address": f" {ADDRESS} "})
            ).json()
            bad = await api.post("/api/v1/admin/consent/lookup", json={"address": "not an address"})
        assert bad.status_code == 422
        steps = found["timeline"]
        assert [s["action"] for s in steps] == ["requested", "confirmed", "unsubscribed", "erased"]
        assert steps[0]["topics"] == [TOPIC] and steps[0]["page"] == signup_page(TOPIC)
        for step in steps:
            assert step["privacy_version"] == NOTICES.current("nb").version
            assert step["privacy_notice"]["matches_hash"] is True
        assert NORMAL not in json.dumps(found)

        async with h.client() as browser:
            await sign_in(browser, "aud")
            form = await browser.get("/admin/consent?lang=en")
            assert "Look up" in form.text
            page = await browser.post(
                "/admin/consent", data={"address": ADDRESS, "csrf_token": csrf_token(form.text)}
            )
            assert page.status_code == 200
            for action in ("requested", "confirmed", "unsubscribed", "erased"):
                said = admin_text("nb", LEDGER_ACTIONS[action])
                assert f"<td>{said}</td>" in page.text
            # As every staff page shows them: the minute in UTC, the topic by its title.
            rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
            first = re.findall(r"<td>(.*?)</td>", rows[0])
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", first[0]), first[0]
            assert first[2] == "Norge i verden", first
            link = f"/admin/privacy/{NOTICES.current('nb').version}/nb"
            assert link in page.text
            notice = await browser.get(link)
            assert NOTICES.current("nb").text in notice.text
            forged = await browser.post("/admin/consent", data={"address": ADDRESS})
            assert forged.status_code == 400

        async with h.runtime.sessions() as session:
            lookups = (
                await session.execute(
                    select(
                        AdminAuditEntry.actor, AdminAuditEntry.target, AdminAuditEntry.client
                    ).where(AdminAuditEntry.action == "consent_lookup")
                )
            ).all()
            reads = await session.scalar(
                select(func.count()).where(AdminAuditEntry.action == "privacy_notice_read")
            )
        subject = found["subject_hash"]
        assert lookups == [("aud", subject, "127.0.0.1"), ("aud", subject, "127.0.0.1")]
        assert reads == 1


async def _consent_rows(h: Harness) -> list[str]:
    """Return the rows of the auditor's consent lookup of ADDRESS, oldest first (bokmål)."""
    await h.user("aud", "auditor")
    async with h.client() as browser:
        await sign_in(browser, "aud")
        form = await browser.get("/admin/consent")
        page = await browser.post(
            "/admin/consent", data={"address": ADDRESS, "csrf_token": csrf_token(form.text)}
        )
    assert page.status_code == 200, page.text
    return page.text.split("<tr>")[2:]


async def test_steps_pressed_on_a_page_that_named_no_notice_say_it_was_not_shown(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await _unsubscribe_token(h)
        async with h.client() as browser:
            # The unsubscribe page as it was before its form named a notice (a tab left open).
            opened = await browser.get(f"/unsubscribe/{token}")
            action, data = form_with(opened.text, "erase")
            old_page = {k: v for k, v in data.items() if not k.startswith("privacy_")}
            assert (await browser.post(action, data=old_page)).status_code == 200
        rows = await _consent_rows(h)
        # The sign-up and confirmation showed their notice; the ending and erasure did not.
        unseen = admin_text("nb", "not shown on the page")
        assert [unseen in row for row in rows] == [False, False, True, True]


async def test_steps_whose_details_give_no_reason_are_shown(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Ended through the JSON API: the details name the route only, no reason, no actor.
    async with running(sqlite_url, tmp_path) as h:
        token = await _unsubscribe_token(h)
        async with h.client() as api:
            assert (await api.post(f"/api/v1/unsubscribe/{token}")).status_code == 200
        rows = await _consent_rows(h)
        assert len(rows) == 3
        assert admin_text("nb", "not shown on the page") not in rows[-1]


async def _unsubscribe_token(h: Harness) -> str:
    """Sign NORMAL up, confirm, and return the unsubscribe token its mails carry."""
    return await h.subscribed(NORMAL)


async def test_audit_log_records_each_access_and_auditors_can_read_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            await api.get("/api/v1/admin/ledger", params={"topic": TOPIC})
            await api.get(f"/api/v1/admin/topics/{TOPIC}")
            await api.post("/api/v1/admin/consent/export", json={"address": ADDRESS})
            entries = (await api.get("/api/v1/admin/audit")).json()["entries"]
        actions = [e["action"] for e in entries]
        # Newest first; reading the log is itself logged, in the same transaction.
        assert actions == ["audit_read", "consent_export", "topic_stats_read", "ledger_read"]
        assert all(e["actor"] == "aud" and e["client"] == "127.0.0.1" for e in entries)
        assert entries[3]["details"]["topic"] == TOPIC
        async with h.client() as browser:
            await sign_in(browser, "aud")
            page = await browser.get("/admin/audit")
        assert page.status_code == 200
        # In words of the page's language; the API above keeps the codes.
        said = admin_text("nb", "Downloaded what is held about a person")
        assert said in page.text and f"<td>{admin_text('nb', 'Signed in')}</td>" in page.text


async def test_exports_hold_the_expected_rows_and_no_address_in_the_ledger(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await erased_person(h)
        await h.sign_up("ola@example.org", (TOPIC, OTHER))
        await h.confirm("ola@example.org")
        await h.sign_up("per@example.org", (OTHER,))
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            living = (
                await api.post("/api/v1/admin/consent/export", json={"address": "ola@example.org"})
            ).json()
            gone = (
                await api.post("/api/v1/admin/consent/export", json={"address": ADDRESS})
            ).json()
            sliced = await api.get("/api/v1/admin/ledger.csv", params={"topic": TOPIC})
            everything = await api.get("/api/v1/admin/ledger.csv")
            confirms = await api.get("/api/v1/admin/ledger.csv", params={"action": "confirmed"})
            bad = await api.get("/api/v1/admin/ledger.csv", params={"action": "nonsense"})

        assert living["subscriber"]["email"] == "ola@example.org"
        assert living["subscriber"]["status"] == "active"
        # Everything the subscriber row holds about the person, under the column's own name.
        assert set(living["subscriber"]) >= {c.name for c in Subscriber.__table__.columns}
        assert living["subscriber"]["frequency_since"] == living["subscriber"]["confirmed_at"]
        assert living["subscriber"]["hard_bounces"] == 0
        assert {s["topic"] for s in living["subscriber"]["subscriptions"]} == {TOPIC, OTHER}
        assert [s["action"] for s in living["consent_history"]] == ["requested", "confirmed"]
        # Where each sign-up was given: the page of the form the person filled in.
        assert [s["page"] for s in living["consent_history"]] == [signup_page(TOPIC)] * 2
        assert [s["page"] for s in gone["consent_history"]][:2] == [signup_page(TOPIC)] * 2
        assert gone["subscriber"] is None
        assert len(gone["consent_history"]) == 4

        assert bad.status_code == 400
        assert sliced.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(csv_text(sliced.content))))
        # Kari's three steps about the topic (erasure names none) and Ola's two; Per's sign-up
        # was for another topic only.
        assert len(rows) == 5
        assert all(TOPIC in r["topics"].split() for r in rows)
        assert [r["action"] for r in csv.DictReader(io.StringIO(csv_text(confirms.content)))] == [
            "confirmed"
        ] * 2
        all_rows = list(csv.DictReader(io.StringIO(csv_text(everything.content))))
        assert len(all_rows) == 7
        pages = {r["action"]: r["page"] for r in all_rows}
        assert pages["requested"] == signup_page(OTHER)  # Per's, the newest sign-up
        assert "@" not in everything.text
        times = [r["occurred_at"] for r in rows]
        assert times == sorted(times)

        async with h.client() as browser:
            await sign_in(browser, "aud")
            page_csv = await browser.get("/admin/ledger.csv", params={"topic": TOPIC})
            form = await browser.get("/admin/consent")
            download = await browser.post(
                "/admin/consent/export",
                data={"address": "ola@example.org", "csrf_token": csrf_token(form.text)},
            )
        assert page_csv.text == sliced.text
        assert "attachment" in download.headers["content-disposition"]
        assert download.json()["subscriber"]["email"] == "ola@example.org"


async def test_ledger_pages_by_keyset_without_gaps_or_repeats(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for n in range(7):
            await h.sign_up(f"person{n}@example.org")
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        seen: list[int] = []
        cursor: str | None = None
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            while True:
                params: dict[str, str | int] = {"limit": 3, "action": "requested"}
                if cursor:
                    params["after"] = cursor
                body = (await api.get("/api/v1/admin/ledger", params=params)).json()
                seen += [r["id"] for r in body["records"]]
                cursor = body["next"]
                if cursor is None:
                    break
            today = h.runtime.clock.now().date()
            future = await api.get(
                "/api/v1/admin/ledger", params={"from": str(today + timedelta(days=1))}
            )
            until_today = await api.get("/api/v1/admin/ledger", params={"to": str(today)})
        assert len(seen) == 7 and len(set(seen)) == 7
        assert seen == sorted(seen, reverse=True)
        assert future.json()["records"] == []
        assert len(until_today.json()["records"]) == 7

        async with h.client() as browser:
            await sign_in(browser, "aud")
            first = await browser.get("/admin/ledger")
        assert first.status_code == 200 and 'rel="next"' not in first.text
        signed_up = admin_text("nb", "Signed up, not yet confirmed")
        assert first.text.count(f"<td>{signed_up}</td>") == 7


async def test_topic_page_draws_an_accessible_chart_with_a_table(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.sign_up("a@example.org")
        await h.confirm("a@example.org")
        await h.sign_up("b@example.org")
        await h.confirm("b@example.org")
        await h.erase("b@example.org")
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            numbers = (await api.get(f"/api/v1/admin/topics/{TOPIC}")).json()
            missing = await api.get("/api/v1/admin/topics/no-such-topic")
        assert missing.status_code == 404
        assert numbers["subscribers_by_frequency"] == {"daily": 1}
        assert numbers["subscribers_by_language"] == {"nb": 1}
        today = numbers["per_day"][-1]
        assert today == {"day": today["day"], "requested": 2, "confirmed": 2, "unsubscribed": 1}
        assert len(numbers["per_day"]) == 30

        async with h.client() as browser:
            await sign_in(browser, "aud")
            page = await browser.get(f"/admin/topics/{TOPIC}?lang=en")
        html = page.text
        assert page.status_code == 200
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
        assert '<title id="chart-title">' in html and '<desc id="chart-desc">' in html
        assert html.count("<polyline") == 3
        assert '<th scope="col">Sign-ups</th>' in html
        # Each rhythm and language in words, in order, 0 where nobody is (not "daily" alone).
        assert "<td>Immediately</td><td>0</td></tr><tr><td>Daily</td><td>1</td>" in html
        assert '<td lang="nb">Norsk bokmål</td><td>1</td>' in html
        assert '<td lang="en">English</td><td>0</td>' in html
        assert "<script" not in html and "http://" not in html.replace(
            "http://www.w3.org/2000/svg", ""
        )


async def test_operators_see_sources_and_mail(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("ops", "operator")
        _, token = await h.token("ops")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            body = (await api.get("/api/v1/admin/operations")).json()
        assert body["sources"] == [] and body["mail_per_day"] == []
        assert [d["frequency"] for d in body["digests"]] == ["daily", "weekly"]
        assert body["dead_letters"] is None


async def test_retention_forgets_only_subjects_that_ended_long_ago(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await erased_person(h)
        await h.sign_up("still@example.org")
        await h.confirm("still@example.org")
        await h.sign_up("never@example.org")
        async with h.runtime.sessions() as session, session.begin():
            now = h.runtime.clock.now()
            assert await retention.purge_consent(session, days=30, now=now) == 0
            later = now + timedelta(days=31)
            # Kari (erased) and the never-confirmed sign-up go; the active subscriber stays.
            assert await retention.purge_consent(session, days=30, now=later) == 5
            left = (await session.scalars(select(ConsentRecord.action))).all()
        assert sorted(left) == ["confirmed", "requested"]


async def test_a_topic_that_ended_can_still_be_read_in_the_ledger_and_its_numbers(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Consent records outlive a topic: a data-protection officer asked about one that ended
    # finds it in the ledger filter's list, and its numbers, marked ended, beside the others.
    async with running(sqlite_url, tmp_path) as h, h.client() as browser:
        await commands.apply_at_start(
            h.runtime.sessions,
            tmp_path / "catalogue.toml",
            h.runtime.clock.now(),
            allow_private=True,
        )
        await h.user("op", "operator")
        await sign_in(browser, "op")
        topics = await browser.get("/admin/topics?lang=en")
        ended = await browser.post(
            "/admin/topics/retire?lang=en",
            data={"slug": OTHER, "confirm": "yes", "csrf_token": csrf_token(topics.text)},
        )
        assert ended.status_code == 303, ended.text
        async with h.runtime.sessions() as session:  # as every process follows within seconds
            version, stored = await admin_read.current_catalogue(session)
        h.runtime.catalogue.replace(stored, version)
        page = await browser.get(f"/admin/ledger?topic={OTHER}&lang=en")
        assert page.status_code == 200
        assert f'<option value="{OTHER}" selected>{OTHER} (ended)</option>' in page.text
        assert f'<option value="{TOPIC}">{TOPIC}</option>' in page.text
        home = await browser.get("/admin?lang=en")
        assert f'<a href="/admin/topics/{OTHER}?lang=en">Health news (ended)</a>' in home.text
        numbers = await browser.get(f"/admin/topics/{OTHER}?lang=en")
        assert numbers.status_code == 200
        assert "<h1>Health news (ended)</h1>" in numbers.text
        _, token = await h.token("op")
        api = await browser.get(
            f"/api/v1/admin/topics/{OTHER}", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 200 and api.json()["topic"] == OTHER


async def test_a_wrong_address_is_named_beside_its_field_and_linked_from_the_summary(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Before, a summary paragraph that took no focus; the field was neither marked invalid nor
    # described by the refusal (WCAG 3.3.1, 3.3.3).
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("anne", "auditor")
        await sign_in(client, "anne")
        form = await client.get("/admin/consent?lang=en")
        data = {"address": "ikke-en-adresse", "csrf_token": csrf_token(form.text)}
        answer = await client.post("/admin/consent?lang=en", data=data)
    assert answer.status_code == 422, answer.text
    assert summary_links(answer.text) == ["address"]
    wrong = "Error: This is not a valid email address."
    assert field_marks(answer.text, "address") == FieldMarks(True, ("address-error",), wrong)
