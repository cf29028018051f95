"""The daily cap per address (VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY): within the hourly limit
every hour, an address still gets no more than a day's allowance of mails, counted over a day
of UTC in the database that every instance shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from shared.events import ManageLinkRequested
from shared.web import rate_limit
from shared.web.rate_limit import DAY, Limit, RateLimitHit

from .harness import START, TOPIC, Harness, csrf, running, sign_up, subscribed

ADDRESS = "kari.nordmann@example.no"
LIMITS = {"signup_limit_per_address": 5, "signup_limit_per_address_daily": 10}
MANAGE_LINK = ManageLinkRequested.type_name()
MIDNIGHT = datetime(2026, 11, 21, tzinfo=UTC)  # when START's day ends


async def _sign_up_from(h: Harness, n: int, address: str = ADDRESS) -> int:
    # Each from a client of its own: only the address is counted against its limits.
    async with h.browser(f"192.0.2.{n}") as browser:
        return (await sign_up(browser, address)).status_code


async def test_the_eleventh_signup_of_a_day_is_refused_though_each_hour_is_within_limit(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, **LIMITS) as h:
        # Two an hour from 10:00 to 14:00, well within five an hour.
        for hour in range(5):
            for n in range(2):
                assert await _sign_up_from(h, 10 * hour + n) == 200
            h.clock.advance(timedelta(hours=1))
        h.clock.advance(timedelta(minutes=30))  # 15:30
        before = await h.state()
        async with h.browser("198.51.100.1") as browser:
            refused = await sign_up(browser, "  Kari.Nordmann@EXAMPLE.no ")
            api = await browser.post(
                "/api/v1/subscriptions", json={"email": ADDRESS, "topics": [TOPIC]}
            )
        assert refused.status_code == 429
        assert "For mange forsøk" in refused.text
        # The day's window ends at midnight (UTC), 8 hours 30 minutes on: not the hour's end.
        assert refused.headers["retry-after"] == str(8 * 3600 + 30 * 60)
        # Said in hours, rounded up as minutes are: not «om 510 minutter».
        assert "Prøv igjen om 9 timer." in refused.text
        assert api.status_code == 429
        assert api.headers["retry-after"] == str(8 * 3600 + 30 * 60)
        assert api.json()["detail"].endswith("Prøv igjen om 9 timer.")
        for lang, wait in (
            ("nn", "Prøv igjen om 9 timar."),
            ("en", "Please try again in 9 hours."),
        ):
            async with h.browser("198.51.100.2") as browser:
                assert wait in (await sign_up(browser, ADDRESS, lang=lang)).text, lang
        assert await h.state() == before, "over the limit, nothing is stored or mailed"
        # Another address is not held back by this one's day.
        assert await _sign_up_from(h, 200, "ola.nordmann@example.no") == 200
        # A new day, a new allowance.
        h.clock.set(MIDNIGHT)
        assert await _sign_up_from(h, 201) == 200


async def test_the_hourly_limit_reached_first_still_waits_only_for_the_hour(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, **LIMITS) as h:
        h.clock.advance(timedelta(minutes=20))
        for n in range(5):
            assert await _sign_up_from(h, n) == 200
        refused = await sign_up(h.client, ADDRESS)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(40 * 60)


async def test_manage_link_requests_of_an_address_are_capped_per_day_too(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, **LIMITS) as h:
        token = csrf((await h.client.get("/manage-link")).text)
        asks = []
        for _hour in range(6):
            for _ in range(2):
                asks.append(
                    await h.client.post(
                        "/manage-link", data={"email": ADDRESS, "csrf_token": token}
                    )
                )
            h.clock.advance(timedelta(hours=1))
        assert [a.status_code for a in asks] == [200] * 10 + [429] * 2
        # At 15:00 and 15:00: until midnight, nine hours on.
        assert asks[-1].headers["retry-after"] == str(9 * 3600)
        # Sign-ups of the address are counted apart from its manage links, as each hour's are.
        assert await _sign_up_from(h, 1) == 200


async def test_manage_link_requests_refused_over_the_hour_do_not_use_up_the_day(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, **LIMITS) as h:
        await subscribed(h, ADDRESS)
        token = csrf((await h.client.get("/manage-link")).text)

        async def ask() -> int:
            data = {"email": ADDRESS, "csrf_token": token}
            return (await h.client.post("/manage-link", data=data)).status_code

        # Someone asks ten times in a minute: five links are mailed, five asks refused.
        assert [await ask() for _ in range(10)] == [200] * 5 + [429] * 5
        assert await h.events(MANAGE_LINK) == 5
        # An hour on, the owner asks: the refusals took nothing from the day's ten.
        h.clock.advance(timedelta(hours=1))
        assert [await ask() for _ in range(6)] == [200] * 5 + [429]
        assert await h.events(MANAGE_LINK) == 10, "ten mails really sent use up the day"
        h.clock.advance(timedelta(hours=1))
        assert await ask() == 429


async def test_the_day_is_counted_across_instances_sharing_the_database(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        running(database_url, tmp_path / "a", **LIMITS) as a,
        running(database_url, tmp_path / "b", **LIMITS) as b,
    ):
        for hour in range(5):
            for n, h in enumerate((a, b)):
                h.clock.set(START + timedelta(hours=hour))
                assert await _sign_up_from(h, 10 * hour + n) == 200
        # Ten between them, five each: each instance alone would still allow more.
        for h in (a, b):
            h.clock.set(START + timedelta(hours=6))
            assert await _sign_up_from(h, 100) == 429


async def test_a_days_counts_stay_until_the_day_has_passed(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.runtime.sessions() as session:
        limits = [Limit("day", 10, DAY), Limit("hour", 5)]
        assert await rate_limit.allow_all(session, limits, START)
        await session.commit()
        await rate_limit.purge_expired(session, START + timedelta(hours=1))
        await session.commit()
        kept = await session.scalars(select(RateLimitHit.key))
        assert set(kept) == {"day"}, "the hour's count has gone, the day's stays"
        await rate_limit.purge_expired(session, MIDNIGHT)
        await session.commit()
        assert list(await session.scalars(select(RateLimitHit.key))) == []
