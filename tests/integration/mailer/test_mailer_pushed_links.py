"""A pushed change's address with a space, a quote or an angle bracket keeps its link everywhere.

A CMS names its files as editors do (``/globalassets/rapport 2026.pdf``). Pushed to the
publisher API (over ASGI, on the harness's runtime), the change is alerted with the address
percent-encoded in both parts of the mail, linked in the topic's feed by an address a feed
may hold, and listed once in a digest however many times the page changed. Real SQLite and
PostgreSQL, real SMTP on loopback.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import feedparser
import httpx

from services.admin.publishing import issue
from tests.integration.mailer.digests_support import digest_now
from tests.integration.mailer.harness import Harness, at
from varsel.app import create_app

KARI = "kari@example.org"
DAGNY = "dagny@example.org"
TOPIC = "norge-i-verden"
# As editors name files and searches, and as every mail and the feed must link them.
PUSHED = {
    'https://www.fhi.no/globalassets/rapport 2026 "endelig" <v2>.pdf': (
        "https://www.fhi.no/globalassets/rapport%202026%20%22endelig%22%20%3Cv2%3E.pdf"
    ),
    "https://www.fhi.no/søk?q=a b": "https://www.fhi.no/s%C3%B8k?q=a%20b",
}


@asynccontextmanager
async def publisher(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """Yield a client of the publisher API with a token for www.fhi.no."""
    runtime = harness.runtime
    async with runtime.sessions() as session, session.begin():
        _, token = await issue(
            session, "CMS", "operatør", runtime.clock.now(), sites=("www.fhi.no",)
        )
    app = create_app(runtime, ("subscriptions", "admin"))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8000", headers=headers
    ) as client:
        yield client


async def push(client: httpx.AsyncClient, url: str, title: str, key: str) -> None:
    change = {"topics": [TOPIC], "url": url, "title": title}
    answer = await client.post("/api/v1/changes", json=change, headers={"Idempotency-Key": key})
    assert answer.status_code == 202, answer.text


def parts_of(harness: Harness, address: str) -> list[tuple[str, str]]:
    """Return the text and HTML part of each mail the address got."""
    found = []
    for mail in harness.received_by(address):
        plain = mail.message.get_body(preferencelist=("plain",))
        html = mail.message.get_body(preferencelist=("html",))
        assert plain is not None and html is not None
        found.append((plain.get_content(), html.get_content()))
    return found


async def test_a_pushed_address_with_spaces_and_quotes_is_linked_encoded_in_alert_and_feed(
    harness: Harness,
) -> None:
    await harness.subscribe(KARI)
    await harness.seeded()

    async with publisher(harness) as client:
        for number, url in enumerate(PUSHED):
            await push(client, url, f"Rapport {number}", f"k{number}")
        await harness.relay()
        await harness.send_all()
        feed = await client.get(f"/topics/{TOPIC}/feed.atom")

    mails = parts_of(harness, KARI)
    assert len(mails) == len(PUSHED)
    for number, encoded in enumerate(PUSHED.values()):
        [(text, html)] = [pair for pair in mails if f"Rapport {number}" in pair[0]]
        assert encoded in text.split(), text
        assert f'href="{encoded.replace("&", "&amp;")}"' in html, html
    assert feed.status_code == 200, feed.text
    parsed = feedparser.parse(feed.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    links = re.findall(rb'<link href="([^"]*)"', feed.content)
    assert {link.decode() for link in links} >= set(PUSHED.values())
    assert not any(re.search(rb"[ <>]", link) for link in links)


async def test_two_pushed_changes_of_a_page_with_a_space_are_one_entry_of_a_digest(
    harness: Harness,
) -> None:
    [(url, encoded)] = list(PUSHED.items())[:1]
    harness.clock.set(at("2026-11-23T10:00:00+00:00"))
    await harness.subscribe(DAGNY, frequency="daily")
    await harness.seeded()

    async with publisher(harness) as client:
        await push(client, url, "Rapport 2026", "first")
        harness.clock.set(at("2026-11-23T11:00:00+00:00"))
        await push(client, url, "Rapport 2026, rettet", "second")
        await harness.relay()
    harness.clock.set(at("2026-11-24T06:30:00+00:00"))
    await digest_now(harness)

    [(text, html)] = parts_of(harness, DAGNY)
    # One entry, named by the page's latest change and linking the page.
    assert text.split().count(encoded) == 1, text
    assert re.findall(r"Rapport 2026[^\r\n<]*", text) == ["Rapport 2026, rettet"], text
    assert re.findall(r"Rapport 2026[^\r\n<]*", html) == ["Rapport 2026, rettet"], html
    assert f'href="{encoded}"' in html
