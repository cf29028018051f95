"""RFC 8058 one-click unsubscribe: a mail provider's POST ends the alerts without cookies or a
form; the address opened in a browser asks first."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.subscriptions.adapters.tables import Subscription

from .harness import running, subscribed

ADDRESS = "kari.nordmann@example.no"


@pytest.mark.parametrize("encoding", ["form", "multipart", "text"])
async def test_rfc8058_one_click(database_url: str, tmp_path: Path, encoding: str) -> None:
    async with running(database_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "unsubscribe")
        # A mail provider's POST: no cookies, no CSRF token, no redirects followed.
        async with h.browser("192.0.2.10", follow_redirects=False) as provider:
            for wrong in ({}, {"List-Unsubscribe": "Yes"}, {"other": "One-Click"}):
                bad = await provider.post(f"/one-click/{token}", data=wrong)
                assert bad.status_code == 400
            as_json = await provider.post(
                f"/one-click/{token}", json={"List-Unsubscribe": "One-Click"}
            )
            assert as_json.status_code == 400
            assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
            assert (await provider.get(f"/one-click/{token}")).status_code == 303

            if encoding == "form":
                done = await provider.post(
                    f"/one-click/{token}", data={"List-Unsubscribe": "One-Click"}
                )
            elif encoding == "multipart":
                done = await provider.post(
                    f"/one-click/{token}",
                    data={"List-Unsubscribe": "One-Click"},
                    files={"unused": ("", b"")},
                )
                assert done.request.headers["content-type"].startswith("multipart/form-data")
            else:
                # The Thunderbird add-on «List Unsubscribe»: fetch(url, {method: "POST",
                # body: "List-Unsubscribe=One-Click"}), a string body, sent as text/plain.
                for other in (b"List-Unsubscribe=Yes", b"One-Click", b"\xff\xfe"):
                    bad = await provider.post(
                        f"/one-click/{token}",
                        content=other,
                        headers={"content-type": "text/plain;charset=UTF-8"},
                    )
                    assert bad.status_code == 400
                assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
                done = await provider.post(
                    f"/one-click/{token}",
                    content=b"List-Unsubscribe=One-Click",
                    headers={"content-type": "text/plain;charset=UTF-8"},
                )
            assert provider.cookies == {}
        assert done.status_code == 200
        assert "location" not in done.headers
        assert "set-cookie" not in done.headers
        assert await h.open_topics(ADDRESS) == set()
        ledger = await h.ledger()
        assert ledger[-1].action == "unsubscribed"
        assert ledger[-1].channel == "one-click"
        assert ledger[-1].topics == ["norge-i-verden"]
        ended = await h.all(select_ended())
        assert ended == ["one-click"]


async def test_one_click_address_opened_in_a_browser_asks_first(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Some mail programs open the List-Unsubscribe address in a browser instead of posting to
    # it: the person gets the unsubscribe page with its buttons, not an error, and nothing ends.
    async with running(sqlite_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        token = await h.link_token(ADDRESS, "unsubscribe")
        before = await h.state()
        async with h.browser("192.0.2.10", follow_redirects=False) as browser:
            opened = await browser.get(f"/one-click/{token}")
            assert opened.status_code == 303
            assert opened.headers["location"] == f"/unsubscribe/{token}"
            assert (await browser.head(f"/one-click/{token}")).status_code == 303
            page = await browser.get(opened.headers["location"])
        assert page.status_code == 200
        assert 'value="unsubscribe_all"' in page.text and 'value="erase"' in page.text
        assert await h.state() == before
        assert await h.open_topics(ADDRESS) == {"norge-i-verden"}
        # Whatever the address holds stays one path segment of this site's unsubscribe page.
        async with h.browser(follow_redirects=False) as browser:
            odd = await browser.get("/one-click/%3F%23x%5C%40evil.example")
        assert odd.status_code == 303
        assert odd.headers["location"] == "/unsubscribe/%3F%23x%5C%40evil.example"


def select_ended() -> object:
    """Return the query for why subscriptions ended."""
    from sqlalchemy import select

    return select(Subscription.ended_reason).where(Subscription.ended_at.is_not(None))
