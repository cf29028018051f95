"""Alerts as a real SMTP server receives them: headers, parts, languages, and links that work."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from services.subscriptions.adapters.tables import Subscription
from tests.integration.mailer.harness import Harness
from varsel.app import create_app

NB = "kari@example.org"
EN = "ola@example.org"


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def _local_or_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in {"127.0.0.1", "localhost"}


async def test_alerts_arrive_well_formed_one_recipient_each_in_their_language(
    harness: Harness,
) -> None:
    await harness.subscribe(NB, language="nb")
    await harness.subscribe(EN, language="en")
    await harness.seeded()

    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    mails = harness.received()
    assert sorted(m.recipients[0] for m in mails) == sorted([EN, NB])
    ids = set()
    for received in mails:
        assert len(received.recipients) == 1
        assert received.mail_from == "varsel@fhi.no"
        message = received.message
        assert message["To"].addresses[0].addr_spec == received.recipients[0]
        assert message.get_all("To") and len(message["To"].addresses) == 1
        assert message["Cc"] is None and message["Bcc"] is None
        ids.add(message["Message-ID"])
        assert parsedate_to_datetime(message["Date"]) == harness.clock.now()
        assert message["List-Id"] == "<varsel.fhi.no>"
        unsubscribe = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
        assert unsubscribe and all(_local_or_https(u) for u in unsubscribe)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        plain, html = _parts(message)
        assert "Norge i verden: ny rapport" in plain
        assert "Norge i verden: ny rapport" in html
        assert received.recipients[0] not in message["List-Unsubscribe"]
    assert len(ids) == 2, "every mail has its own Message-ID"
    by_address = {m.recipients[0]: m.message for m in mails}
    assert by_address[NB]["Content-Language"] == "nb"
    assert by_address[EN]["Content-Language"] == "en"
    assert 'lang="en"' in _parts(by_address[EN])[1]
    assert 'lang="nb"' in _parts(by_address[NB])[1]
    assert by_address[NB]["Subject"] != by_address[EN]["Subject"]


async def test_links_in_an_alert_work_when_followed(harness: Harness) -> None:
    subscriber_id = await harness.subscribe(NB)
    await harness.seeded()
    await harness.change("Norge i verden: første endring")
    await harness.send_all()
    (mail,) = harness.received_by(NB)
    message = mail.message
    plain, _ = _parts(message)
    header_links = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    one_click = next(u for u in header_links if "/one-click/" in u)
    body_unsubscribe = re.search(r"http://127\.0\.0\.1:8000/unsubscribe/\S+", plain)
    manage = re.search(r"http://127\.0\.0\.1:8000/manage/\S+", plain)
    assert body_unsubscribe and manage

    app = create_app(harness.runtime, services=("subscriptions",))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as web:
        assert (await web.get(body_unsubscribe.group(0))).status_code == 200
        assert (await web.get(manage.group(0))).status_code == 200
        answer = await web.post(one_click, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
    await harness.relay()

    async with harness.runtime.sessions() as session:
        ended = (
            await session.scalars(
                select(Subscription.ended_reason).where(Subscription.subscriber_id == subscriber_id)
            )
        ).all()
    assert ended == ["one-click"]
    await harness.change("Norge i verden: andre endring")
    await harness.send_all()
    assert len(harness.received_by(NB)) == 1, "no alert after the one-click unsubscribe"
