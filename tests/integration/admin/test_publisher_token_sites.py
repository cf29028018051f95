"""A publisher token opens only the sites it was issued for (ADR 0024).

Through the real publisher API routes, on SQLite and PostgreSQL: a token for one body's site
pushing for, or asking a check of, another's is refused 403, audited, and sends nothing; the
refusal of a check reads the same for another site's source and for none. A token issued
before tokens had sites works on for every site.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry, PublisherToken
from services.admin.entrypoints.publisher_scope import NO_HOST
from services.admin.entrypoints.wording import MESSAGES
from services.watcher.adapters.tables import PublisherKey, WatchedSource
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in
from tests.integration.admin.publisher_support import (
    CHANGE,
    bearer,
    changes_sent,
    publisher_token,
    token_before_sites,
)
from tests.support.words import admin_text

FHI = "https://www.fhi.no/rapporter/ny"
OTHER_BODY = "https://www.bergen.kommune.no/innsyn/vedtak"


async def _source(h: Harness, url: str, *, active: bool = True, moved_to: str | None = None) -> int:
    async with h.runtime.sessions() as session, session.begin():
        row = WatchedSource(
            url=url,
            kind="page",
            topics=[TOPIC],
            interval_seconds=900,
            active=active,
            moved_to=moved_to,
        )
        session.add(row)
        await session.flush()
        return row.id


async def _refusals(h: Harness) -> list[tuple[str, str | None, Any]]:
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.action == "publisher_scope_refused")
            .order_by(AdminAuditEntry.id)
        )
        return [(r.actor, r.target, r.details) for r in rows]


async def _due(h: Harness, source_id: int) -> Any:
    async with h.runtime.sessions() as session:
        return await session.scalar(
            select(WatchedSource.next_check_at).where(WatchedSource.id == source_id)
        )


async def test_a_token_for_one_site_pushing_for_another_is_refused_and_sends_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await _source(h, OTHER_BODY)
        token = await publisher_token(h, "FHI WordPress", ("https://www.fhi.no",))
        async with h.client() as client:
            refused = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": OTHER_BODY}, headers=bearer(token)
            )
            own = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": FHI}, headers=bearer(token, "k2")
            )
        assert refused.status_code == 403
        body = refused.json()
        assert body["token_sites"] == ["www.fhi.no"]
        assert body["detail"].startswith(
            "the page is on www.bergen.kommune.no, which is not one of this token's sites"
            " (www.fhi.no): "
        )
        assert own.status_code == 202, own.text
        assert [e.url for e in await changes_sent(h)] == [FHI]
        async with h.runtime.sessions() as session:
            keys = (await session.scalars(select(PublisherKey.idempotency_key))).all()
        assert keys == ["k2"], "a refused push holds no key: the same key works once it is fixed"
        assert await _refusals(h) == [
            ("publisher:FHI WordPress", OTHER_BODY, {"sites": ["www.fhi.no"]})
        ]


async def test_a_refused_push_tells_nothing_of_whether_varsel_watches_the_page(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await _source(h, OTHER_BODY)
        unwatched = OTHER_BODY.replace("vedtak", "finst-ikkje")
        token = await publisher_token(h, "FHI WordPress", ("www.fhi.no",))
        async with h.client() as client:
            watched_answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": OTHER_BODY}, headers=bearer(token)
            )
            unwatched_answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": unwatched}, headers=bearer(token)
            )
            # Nor of whether its topics exist: the site is judged first.
            no_topic = await client.post(
                "/api/v1/changes",
                json={**CHANGE, "url": unwatched, "topics": ["finst-ikkje"]},
                headers=bearer(token),
            )
    assert watched_answer.status_code == unwatched_answer.status_code == 403
    assert no_topic.status_code == 403
    assert (
        watched_answer.json()["detail"].replace(OTHER_BODY, unwatched)
        == (unwatched_answer.json()["detail"])
    )
    assert watched_answer.headers.keys() == unwatched_answer.headers.keys()


async def test_a_check_of_another_site_s_source_reads_as_one_of_no_source_at_all(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        own = await _source(h, FHI)
        theirs = await _source(h, OTHER_BODY)
        paused = await _source(h, OTHER_BODY + "/gammel", active=False)
        before = await _due(h, theirs)
        token = await publisher_token(h, "FHI WordPress", ("www.fhi.no",))
        async with h.client() as client:

            async def check(number: int) -> Any:
                return await client.post(f"/api/v1/sources/{number}/check", headers=bearer(token))

            answers = {n: await check(n) for n in (own, theirs, paused, 9999)}
        assert answers[own].status_code == 202, answers[own].text
        refused = {n: a for n, a in answers.items() if n != own}
        assert {n: a.status_code for n, a in refused.items()} == dict.fromkeys(refused, 403)
        # The same words but the number, for a source of another site (paused or not) and none.
        shapes = {a.text.replace(f"source {n} ", "source N ") for n, a in refused.items()}
        assert len(shapes) == 1, shapes
        assert "or there is no such source" in answers[9999].json()["detail"]
        assert await _due(h, theirs) == before, "another body's page is not made due"
        assert [target for _, target, _ in await _refusals(h)] == [
            str(theirs),
            str(paused),
            "9999",
        ]


@pytest.mark.parametrize(
    ("address", "answer"),
    [
        ("HTTPS://WWW.FHI.NO/rapporter/ny", 202),  # a host is case-blind
        ("https://www.fhi.no./rapporter/ny", 202),  # the same name in DNS
        ("https://www.fhi.no:443/rapporter/ny", 202),  # the default port
        ("http://www.fhi.no/rapporter/ny", 202),  # varsel takes it for the same page
        ("https://www.fhi.no:8443/rapporter/ny", 403),  # another port, another server
        ("https://fhi.no/rapporter/ny", 403),  # a parent domain is another site
        ("https://www.fhi.no.bergen.kommune.no/x", 403),
        ("https://xn--www-fhi-ny.no/rapporter/ny", 400),  # an A-label that decodes to no name
        ("http://www.fhi.no:443/rapporter/ny", 403),  # http's default is 80: another site
        ("https://www.fhi.no:80/rapporter/ny", 403),
        ("http://www.fhi.no%2e/rapporter/ny", 400),  # no host name: not a site at all
        ("http://1.2.3/rapporter/ny", 400),
    ],
)
async def test_an_address_spelt_otherwise_is_within_the_site_only_if_its_host_is(
    sqlite_url: str, tmp_path: Path, address: str, answer: int
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h, "FHI", ("HTTPS://WWW.FHI.NO./",))
        async with h.client() as client:
            pushed = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": address}, headers=bearer(token)
            )
    assert pushed.status_code == answer, pushed.text


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # No request reaches it, so the catalogue's rule refuses it with the field's others.
        ("http://www.fhi.no%2e/x", "Value error, names no host a request can reach"),
        # An intranet's name a request reaches, but no site's: a token's sites hold none.
        ("http://cms_01.fhi.no/x", NO_HOST),
    ],
)
async def test_a_push_for_an_address_with_no_host_name_is_a_400_naming_the_address(
    sqlite_url: str, tmp_path: Path, address: str, reason: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h, "FHI", ("www.fhi.no",))
        async with h.client() as client:
            pushed = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": address}, headers=bearer(token)
            )
        assert pushed.status_code == 400, pushed.text
        [said] = pushed.json()["errors"]
        assert (said["field"], said["input"]) == ("url", address)
        assert said["reason"].startswith(reason)
        assert await _refusals(h) == [], "not a refusal of another site"
        assert await changes_sent(h) == []


async def test_a_source_is_judged_by_its_own_address_not_where_it_redirects(
    database_url: str, tmp_path: Path
) -> None:
    # The old address leads to the new site now; whoever runs the old one set that redirect,
    # so it opens the source to no token of the new site.
    async with running(database_url, tmp_path) as h:
        moved = await _source(h, "https://gammel.fhi.no/side", moved_to="https://www.fhi.no/side")
        new_site = await publisher_token(h, "FHI", ("www.fhi.no",))
        old_site = await publisher_token(h, "FHI gammel", ("gammel.fhi.no",))
        async with h.client() as client:
            by_new = await client.post(f"/api/v1/sources/{moved}/check", headers=bearer(new_site))
            by_old = await client.post(f"/api/v1/sources/{moved}/check", headers=bearer(old_site))
            pushed = await client.post(
                "/api/v1/changes",
                json={**CHANGE, "url": "https://gammel.fhi.no/side"},
                headers=bearer(new_site),
            )
    assert (by_new.status_code, by_old.status_code) == (403, 202)
    assert pushed.status_code == 403


async def test_a_token_issued_before_sites_still_opens_every_site(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        theirs = await _source(h, OTHER_BODY)
        old = await token_before_sites(h)
        async with h.client() as client:
            pushed = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": OTHER_BODY}, headers=bearer(old)
            )
            checked = await client.post(f"/api/v1/sources/{theirs}/check", headers=bearer(old))
    assert (pushed.status_code, checked.status_code) == (202, 202)
    assert await _refusals(h) == []


async def _issue_page(client: Any, language: str, **typed: str) -> Any:
    page = await client.get(f"/admin/publishers?lang={language}")
    fields = {"csrf_token": csrf_token(page.text), "name": "WordPress", **typed}
    return await client.post(f"/admin/publishers?lang={language}", data=fields)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_the_page_issues_a_token_for_its_sites_and_lists_them(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("drift", "operator")
        await token_before_sites(h, "Gammel CMS")
        async with h.client() as client:
            await sign_in(client, "drift")
            issued = await _issue_page(
                client, language, sites="https://www.fhi.no\r\nHELSENORGE.NO/, www.fhi.no"
            )
            listed = (await client.get(f"/admin/publishers?lang={language}")).text
            # The page's own link, as a reader follows it: in their language, the form filled.
            (link,) = re.findall(r'href="([^"]*replace=[^"]*)"', listed)
            replace = await client.get(html.unescape(link))
        assert issued.status_code == 200, issued.text
        async with h.runtime.sessions() as session:
            kept = await session.scalar(
                select(PublisherToken.sites).where(PublisherToken.name == "WordPress")
            )
            details = await session.scalar(
                select(AdminAuditEntry.details).where(
                    AdminAuditEntry.action == "publisher_token_issued"
                )
            )
    assert kept == "www.fhi.no\nhelsenorge.no"
    assert details == {"name": "WordPress", "sites": ["www.fhi.no", "helsenorge.no"]}
    assert "<li>www.fhi.no</li><li>helsenorge.no</li>" in listed
    assert admin_text(language, "All sites (issued before tokens had sites)") in listed
    assert 'value="Gammel CMS"' in replace.text, "replacing opens the form with its name"
    assert f'lang="{language}"' in replace.text, "and in the language the reader chose"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "site_none"),
        ("https://www.fhi.no/rapporter", "site_path"),
        ("https://cms:hemmelig@www.fhi.no", "site_userinfo"),
        ("*.fhi.no", "site_wildcard"),
        ("ftp://www.fhi.no", "site_scheme"),
        ("https://www.fhi..no", "site_host"),
        ("www.fhi.no:0", "site_host"),
        ("a_b.no", "site_host"),
        ("2130706433", "site_host"),
    ],
)
@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_sites_that_are_not_hosts_alone_issue_nothing_and_say_why(
    sqlite_url: str, tmp_path: Path, language: str, typed: str, reason: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("drift", "operator")
        async with h.client() as client:
            await sign_in(client, "drift")
            sites = f"www.fhi.no\n{typed}" if typed else " \n "
            answer = await _issue_page(client, language, sites=sites)
        async with h.runtime.sessions() as session:
            issued = (await session.scalars(select(PublisherToken))).all()
    assert answer.status_code == 400
    assert admin_text(language, MESSAGES[reason], site=typed) in html.unescape(answer.text)
    assert 'aria-invalid="true"' in answer.text and "varsel_pub_" not in answer.text
    assert 'value="WordPress"' in answer.text, "what was typed stays in the form"
    assert issued == []
