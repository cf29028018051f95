"""Known addresses in the public forms: the answers never tell whether an address is known, and
signing up again when subscribed adds the new topics once confirmed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from services.subscriptions import read_api
from services.subscriptions.adapters.tables import SignupRequest

from .harness import TOPIC, UNRELATED, Harness, confirm, csrf, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)


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
