"""Hostile and broken input in the public forms: bad addresses, fields long enough to be cut,
markup and characters HTML cannot carry; each comes back escaped or left out, nothing stored."""

from __future__ import annotations

from pathlib import Path

from services.subscriptions.adapters.tables import Subscriber

from .harness import TOPIC, csrf, running, sign_up

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


BAD_ADDRESSES = [
    ("", "Skriv inn e-postadressen din."),
    ("   ", "Skriv inn e-postadressen din."),
    ("ikke-en-adresse", "Skriv en gyldig e-postadresse"),
    ("a@b.no\r\nBcc: x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no\nBcc: x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no%0d%0aBcc:x@y.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no, x@y.no", "Skriv en gyldig e-postadresse"),
    ("Kari <a@b.no>", "Skriv en gyldig e-postadresse"),
    ("a" * 250 + "@example.no", "Skriv en gyldig e-postadresse"),
    ("x" * 50_000 + "@example.no", "Skriv en gyldig e-postadresse"),  # under the body limit
    (HOSTILE + "@example.no", "Skriv en gyldig e-postadresse"),
    ("a@b.no\x00", "Skriv en gyldig e-postadresse"),
    ("k" * 65 + "@example.no", "Delen før @ kan være høyst 64 tegn"),
    ("=?utf-8?q?kari=0D=0Abcc=3A_ola=40example=2Eno?=@example.no", "uten koding"),
]


async def test_bad_addresses_get_the_form_back(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for email, message in BAD_ADDRESSES:
            answer = await sign_up(h.client, email)
            assert answer.status_code == 400, email
            assert message in answer.text, email
            assert 'aria-invalid="true"' in answer.text
            assert "<script>alert" not in answer.text
            assert "<img src=x" not in answer.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_a_long_field_is_read_whole_never_cut_into_another_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Spaces before an address pushed its tail past 1,000 characters: a form reader that cut
    there signed up kari@example.no instead of the kari@example.no.eu the person typed."""
    typed = "kari@example.no.eu"
    cut_into = typed[: typed.index(".eu")]
    padded = " " * (1000 - len(cut_into)) + typed
    async with running(sqlite_url, tmp_path) as h:
        answer = await sign_up(h.client, padded)
        assert answer.status_code == 200, answer.text
        assert await h.subscriber(typed) is not None
        assert await h.subscriber(cut_into) is None
        # Too long to be an address at all: a 400 with the reason beside the field, no row.
        too_long = await sign_up(h.client, " " * 990 + "x" * 300 + "@example.no")
        assert too_long.status_code == 400
        assert "Skriv en gyldig e-postadresse" in too_long.text
        assert 'aria-invalid="true"' in too_long.text
        assert await h.count(Subscriber) == 1


async def test_hostile_input_in_every_field_is_escaped(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        hostile = {
            "email": HOSTILE,
            "frequency": HOSTILE,
            "related": [HOSTILE, "x" * 50_000],
            "lang": HOSTILE,
            "csrf_token": token,
            HOSTILE: HOSTILE,
        }
        headers = {"Referer": HOSTILE, "Accept-Language": HOSTILE}
        for path in (f"/subscribe/{TOPIC}", f"/embed/subscribe/{TOPIC}", "/manage-link"):
            answer = await h.client.post(f"{path}?lang={HOSTILE}", data=hostile, headers=headers)
            assert answer.status_code == 400
            assert "<script>" not in answer.text
            assert "<img" not in answer.text
            if "subscribe" in path:  # the email field comes back, escaped
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
            assert 'lang="nb"' in answer.text  # an unknown language falls back to bokmål
        for path in (f"/subscribe/{HOSTILE}", f"/confirm/{HOSTILE}", f"/manage/{HOSTILE}"):
            page = await h.client.get(path)
            assert page.status_code == 404
            assert "<script>" not in page.text
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_characters_html_cannot_carry_are_left_out_of_what_comes_back(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A NUL pasted with an address, controls from a script: escaped, they would still make the
    # page invalid HTML. The address is refused as sent; the field shows the rest of it.
    uncarriable = "\x00\x01\x1f\x7f\x85\ufdd0\ufffe\U0010ffff"
    typed = f"kari{uncarriable}@example.no"
    async with running(sqlite_url, tmp_path) as h:
        token = csrf((await h.client.get(f"/subscribe/{TOPIC}")).text)
        fields = {"email": typed, "frequency": "daily", "topics": TOPIC, "csrf_token": token}
        answers = [
            await h.client.post(path, data={**fields, "page": path})
            for path in (f"/subscribe/{TOPIC}", "/", "/manage-link")
        ]
        for answer in answers:
            assert answer.status_code == 400
            assert 'value="kari@example.no"' in answer.text
        answers.append(await h.client.get("/", params={"q": f"helse{uncarriable}"}))
        assert answers[-1].status_code == 400
        assert 'value="helse"' in answers[-1].text
        unknown = await h.client.get("/nope%00%01%7F?lang=en", headers={"accept": "text/html"})
        assert unknown.status_code == 404
        assert 'href="/nope%00%01%7F?lang=nb"' in unknown.text
        answers.append(unknown)
        for answer in answers:
            left = [char for char in uncarriable if char in answer.text]
            assert left == [], answer.request.url
        assert await h.state() == (0, 0, 0, 0, 0)
