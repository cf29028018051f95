"""An address whose part before the @ is not ASCII is refused at sign-up unless the relay takes it.

Only a relay that speaks SMTPUTF8 (RFC 6531) takes mail to åse@example.no; told to check their
mail, the person would wait for one that never comes. A non-ASCII domain is no such problem: the
mail leaves with the domain in its IDNA form (test_mailer_idn_addresses.py).
"""

from __future__ import annotations

from pathlib import Path

from .harness import TOPIC, running, sign_up

NON_ASCII = "Åse.Ødegård@example.no"
REFUSED = {
    "nb": "Delen før @ kan ikke ha bokstaver som æ, ø eller å",
    "nn": "Delen før @ kan ikkje ha bokstavar som æ, ø eller å",
    "en": "The part before the @ cannot contain letters such as æ, ø or å",
}


async def test_a_non_ascii_local_part_is_refused_in_the_persons_language(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for language, words in REFUSED.items():
            page = await sign_up(h.client, NON_ASCII, lang=language)
            assert page.status_code == 400, page.text
            assert words in page.text, language
            api = await h.client.post(
                "/api/v1/subscriptions",
                json={"email": NON_ASCII, "topics": [TOPIC], "language": language},
            )
            assert api.status_code == 422, api.text
            assert api.json()["detail"].startswith(words), api.text
        manage = await h.client.post(
            "/api/v1/manage-links", json={"email": NON_ASCII, "language": "en"}
        )
        assert manage.status_code == 422 and REFUSED["en"] in manage.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_an_internationalised_domain_is_taken(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        page = await sign_up(h.client, "kari@blåbær.no")
        assert page.status_code == 200, page.text
        api = await h.client.post(
            "/api/v1/subscriptions", json={"email": "ola@BLÅBÆR.no", "topics": [TOPIC]}
        )
        assert api.status_code == 202, api.text
        assert (await h.state())[0] == 2


async def test_a_relay_that_speaks_smtputf8_lets_such_an_address_sign_up(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, smtp_utf8=True) as h:
        page = await sign_up(h.client, NON_ASCII)
        assert page.status_code == 200, page.text
        assert (await h.state())[0] == 1
