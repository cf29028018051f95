"""A refusal over a limit tells the wait its Retry-After gives, in minutes, on the page and in
the API alike: the counts run in fixed hourly windows, so the wait is what is left of the hour."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from .harness import TOPIC, running, sign_up

ADDRESS = "kari.nordmann@example.no"


@pytest.mark.parametrize(
    ("into_the_hour", "retry_after", "nb", "nn", "en"),
    [
        # The probe's case: 247 seconds left, four minutes and seven seconds.
        (timedelta(minutes=55, seconds=53), "247", "om 5 minutter", "om 5 minutt", "in 5 minutes"),
        (timedelta(minutes=59, seconds=30), "30", "om 1 minutt.", "om 1 minutt.", "in 1 minute."),
        (timedelta(0), "3600", "om 60 minutter", "om 60 minutt", "in 60 minutes"),
    ],
)
async def test_the_wait_in_the_text_is_the_wait_in_retry_after(
    sqlite_url: str,
    tmp_path: Path,
    into_the_hour: timedelta,
    retry_after: str,
    nb: str,
    nn: str,
    en: str,
) -> None:
    async with running(sqlite_url, tmp_path, signup_limit_per_address=1) as h:
        h.clock.advance(into_the_hour)
        assert (await sign_up(h.client, ADDRESS)).status_code == 200
        pages = {lang: await sign_up(h.client, ADDRESS, lang=lang) for lang in ("nb", "nn", "en")}
        api = await h.client.post(
            "/api/v1/subscriptions", json={"email": ADDRESS, "topics": [TOPIC], "language": "en"}
        )
    for lang, wait in (("nb", nb), ("nn", nn), ("en", en)):
        assert pages[lang].status_code == 429
        assert pages[lang].headers["retry-after"] == retry_after
        assert wait in pages[lang].text, lang
        assert "en time" not in pages[lang].text and "an hour" not in pages[lang].text
    assert api.status_code == 429
    assert api.headers["retry-after"] == retry_after
    assert f"Please try again {en}" in api.json()["detail"]
