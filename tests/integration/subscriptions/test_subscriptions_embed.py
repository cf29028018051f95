"""The embedded form: no cookie needed, a signed token bound to its topic, host page and age."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from services.subscriptions.adapters.tables import ConsentRecord, SignupRequest
from services.subscriptions.entrypoints.wording import FORM_NOT_VALID, FORM_TOO_OLD
from shared.web.embed_forms import LIFETIME
from tests.support.words import page_text

from .harness import HOST_PAGE, RELATED, TOPIC, Harness, form_token, running

ADDRESS = "kari.nordmann@example.no"
OTHER_HOST = "https://kommune.example.no"
EMBED = f"/embed/subscribe/{TOPIC}"


def _form(token: str, address: str = ADDRESS) -> dict[str, str]:
    return {"email": address, "frequency": "daily", "form_token": token, "lang": "nb"}


async def _refused_without_trace(h: Harness, answer_text: str, reason: str) -> None:
    assert html.escape(page_text("nb", reason), quote=False) in answer_text
    assert await h.state() == (0, 0, 0, 0, 0)


async def test_a_cookieless_browser_signs_up_from_an_allowed_host_page(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.browser() as framed:
        shown = await framed.get(EMBED)
        assert shown.status_code == 200
        # Only the allowed host page may frame it, and no cookie is handed out: none would return.
        csp = shown.headers["content-security-policy"]
        assert f"frame-ancestors {HOST_PAGE}" in csp
        assert "x-frame-options" not in shown.headers
        assert "set-cookie" not in shown.headers
        assert f'action="{EMBED}?origin={quote(HOST_PAGE, safe="")}"' in shown.text
        framed.cookies.clear()
        answer = await framed.post(
            f"{EMBED}?origin={quote(HOST_PAGE, safe='')}", data=_form(form_token(shown.text))
        )
        assert answer.status_code == 200, answer.text
        assert page_text("nb", "Check your email") in answer.text
        assert f"frame-ancestors {HOST_PAGE}" in answer.headers["content-security-policy"]
        assert await h.count(SignupRequest) == 1
        (record,) = await h.all(select(ConsentRecord))
        assert record.page == HOST_PAGE


async def test_a_related_topic_posted_again_and_again_is_recorded_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.browser() as framed:
        shown = await framed.get(EMBED)
        answer = await framed.post(
            f"{EMBED}?origin={quote(HOST_PAGE, safe='')}",
            data={**_form(form_token(shown.text)), "related": [RELATED[1]] * 3},
        )
        assert answer.status_code == 200, answer.text
        (record,) = await h.all(select(ConsentRecord))
        assert record.topics == sorted([TOPIC, RELATED[1]])


async def test_the_host_page_is_named_when_several_may_embed(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path, embed_origins=(HOST_PAGE, OTHER_HOST)) as h:
        # Which of two pages frames the form cannot be guessed: the iframe must say.
        assert (await h.client.get(EMBED)).status_code == 403
        shown = await h.client.get(f"{EMBED}?origin={OTHER_HOST}/")
        assert shown.status_code == 200
        assert f"frame-ancestors {OTHER_HOST};" in shown.headers["content-security-policy"] + ";"
        token = form_token(shown.text)
        # A token made for one host page is not honoured from another.
        elsewhere = await h.client.post(f"{EMBED}?origin={HOST_PAGE}", data=_form(token))
        assert elsewhere.status_code == 400
        await _refused_without_trace(h, elsewhere.text, FORM_NOT_VALID)
        own = await h.client.post(f"{EMBED}?origin={OTHER_HOST}", data=_form(token))
        assert own.status_code == 200, own.text


async def test_tokens_of_other_topics_tampered_or_missing_are_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        other_topic = form_token((await h.client.get(f"/embed/subscribe/{RELATED[0]}")).text)
        token = form_token((await h.client.get(EMBED)).text)
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        body, _, rest = token.partition(".")
        forged_body = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + rest
        for bad in (other_topic, tampered, forged_body, "", "x" * 5000):
            answer = await h.client.post(EMBED, data=_form(bad))
            assert answer.status_code == 400, bad
            await _refused_without_trace(h, answer.text, FORM_NOT_VALID)
            # The form comes back filled in, with a token that works.
            assert f'value="{ADDRESS}"' in answer.text
            assert form_token(answer.text) not in (bad, "")
        fresh = form_token((await h.client.post(EMBED, data=_form(tampered))).text)
        assert (await h.client.post(EMBED, data=_form(fresh))).status_code == 200


async def test_an_old_form_is_sent_again(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = form_token((await h.client.get(EMBED)).text)
        h.clock.advance(LIFETIME + timedelta(minutes=6))  # past the lifetime and the clock skew
        late = await h.client.post(EMBED, data=_form(token))
        assert late.status_code == 400
        await _refused_without_trace(h, late.text, FORM_TOO_OLD)
        again = await h.client.post(EMBED, data=_form(form_token(late.text)))
        assert again.status_code == 200, again.text
        # Issued on a replica whose clock runs a minute ahead: still good here.
        h.clock.advance(timedelta(minutes=1))
        ahead = form_token((await h.client.get(EMBED)).text)
        h.clock.advance(timedelta(minutes=-1))
        answer = await h.client.post(EMBED, data=_form(ahead, "ola@example.no"))
        assert answer.status_code == 200, answer.text


async def test_pages_the_operator_has_not_allowed_get_a_refusal(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = form_token((await h.client.get(EMBED)).text)
        for origin in ("https://evil.example", "https://www.example.no.evil.example", "null"):
            shown = await h.client.get(f"{EMBED}?origin={quote(origin)}")
            assert shown.status_code == 403
            assert page_text("nb", "This form cannot be shown here") in shown.text
            assert 'name="form_token"' not in shown.text
            assert f'href="/subscribe/{TOPIC}?lang=nb"' in shown.text
            sent = await h.client.post(f"{EMBED}?origin={quote(origin)}", data=_form(token))
            assert sent.status_code == 403
        english = await h.client.get(f"{EMBED}?origin=https://evil.example&lang=en")
        assert "This form cannot be shown here" in english.text
        assert await h.state() == (0, 0, 0, 0, 0)
    # No origin allowed (the default): the form is not offered for embedding at all.
    async with running(sqlite_url, tmp_path, embed_origins=()) as h:
        assert (await h.client.get(EMBED)).status_code == 403
        assert (await h.client.get(f"{EMBED}?origin={HOST_PAGE}")).status_code == 403
        assert (await h.client.post(EMBED, data=_form(token))).status_code == 403
        assert await h.state() == (0, 0, 0, 0, 0)
