"""The topic index at ``/``: every topic by section, the filter, one sign-up for several topics."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.subscriptions.adapters.tables import SignupRequest
from services.subscriptions.domain.vocabulary import ConsentAction

from .harness import RELATED, TOPIC, UNRELATED, Harness, confirm, csrf, running

ADDRESS = "kari.nordmann@example.no"
SIGNUP = "subscriber.signup_requested.v1"
EVERY_TOPIC = (TOPIC, *RELATED, UNRELATED)


def _ticked_boxes(page: str) -> list[str]:
    return re.findall(r'name="topics" value="([^"]+)" checked', page)


def _boxes(page: str) -> list[str]:
    return re.findall(r'name="topics" value="([^"]+)"', page)


def _headings(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"<legend><h2>([^<]+)</h2></legend>", page)]


async def _post(h: Harness, data: dict[str, Any], *, lang: str = "nb") -> Any:
    page = await h.client.get(f"/?lang={lang}")
    # The hidden fields a browser sends back: the token, the language, the page it was shown on.
    shown_on = re.search(r'name="page" value="([^"]*)"', page.text)
    assert shown_on, "the sign-up form does not say which page it is on"
    hidden = {"csrf_token": csrf(page.text), "page": shown_on.group(1), "lang": lang}
    return await h.client.post("/", data={**hidden, **data})


async def test_the_index_lists_every_topic_by_section(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        page = await h.client.get("/")
        assert page.status_code == 200
        assert sorted(_boxes(page.text)) == sorted(EVERY_TOPIC)
        assert _headings(page.text) == [
            "Folkehelseinstituttet",
            "Helsedirektoratet",
            "Helse- og omsorgsdepartementet",
        ]
        assert "Temaer du kan få varsler om" in page.text
        assert "Samarbeid mellom helse og andre sektorer." in page.text  # a description
        english = await h.client.get("/?lang=en")
        assert "Topics you can get alerts about" in english.text
        assert "Norwegian Institute of Public Health" in _headings(english.text)
        assert "Norway in the world" in english.text
        nynorsk = await h.client.get("/?lang=nn")
        assert "Tema du kan få varsel om" in nynorsk.text
        assert '<html lang="nn">' in nynorsk.text


async def test_every_page_header_links_to_the_index(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for path in (f"/subscribe/{TOPIC}", "/privacy", "/manage-link", "/"):
            page = await h.client.get(f"{path}?lang=en")
            header = page.text.split("</header>")[0]
            assert '<a href="/?lang=en">All topics</a>' in header, path


async def test_the_filter_works_on_the_server(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        page = await h.client.get("/", params={"q": "  HELSEDIREKTORATET "})
        assert page.status_code == 200
        assert _boxes(page.text) == ["internasjonalt-helsearbeid"]
        assert "1 av 4 temaer passer til «HELSEDIREKTORATET»." in page.text
        assert 'value="HELSEDIREKTORATET"' in page.text  # the field keeps what was typed
        english = await h.client.get("/", params={"q": "ministry news", "lang": "en"})
        assert _boxes(english.text) == [UNRELATED]
        none = await h.client.get("/", params={"q": "fotball"})
        assert none.status_code == 200
        assert _boxes(none.text) == []
        assert "Ingen temaer passer til filteret." in none.text
        assert 'method="post"' not in none.text
        hostile = await h.client.get("/", params={"q": '"><script>alert(1)</script>'})
        assert "<script>alert(1)" not in hostile.text


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("x" * 101, "Søketeksten kan være høyst 100 tegn lang."),
        ("vaksiner\x00", "Søketeksten kan bare inneholde bokstaver, sifre og tegnsetting."),
    ],
)
async def test_a_bad_filter_is_a_400_with_a_reason(
    sqlite_url: str, tmp_path: Path, query: str, reason: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        refused = await h.client.get("/", params={"q": query})
        assert refused.status_code == 400
        assert reason in refused.text
        assert 'aria-invalid="true"' in refused.text
        # Every topic is still there to choose from.
        assert sorted(_boxes(refused.text)) == sorted(EVERY_TOPIC)


async def test_one_sign_up_for_three_topics(database_url: str, tmp_path: Path) -> None:
    chosen = [UNRELATED, TOPIC, RELATED[0]]
    async with running(database_url, tmp_path) as h:
        answer = await _post(h, {"email": ADDRESS, "frequency": "daily", "topics": chosen})
        assert answer.status_code == 200, answer.text
        assert "Sjekk e-posten din" in answer.text
        # One request, hence one confirmation mail, for the three topics.
        assert await h.events(SIGNUP) == 1
        requests = await h.all(select(SignupRequest))
        assert [sorted(r.topics) for r in requests] == [sorted(chosen)]
        token = await h.confirm_token(ADDRESS)
        page = await h.client.get(f"/confirm/{token}")
        listed = re.findall(r"<li>([^<]+)</li>", page.text.split('class="topics"')[1])
        assert sorted(listed) == [
            "Norge i verden",
            "Nyheter fra Helse- og omsorgsdepartementet",
            "På tvers av sektorer",
        ]
        assert (await confirm(h, ADDRESS)).status_code == 200
        assert await h.open_topics(ADDRESS) == set(chosen)
        ledger = await h.ledger()
        assert [(e.action, sorted(e.topics)) for e in ledger] == [
            (ConsentAction.REQUESTED, sorted(chosen)),
            (ConsentAction.CONFIRMED, sorted(chosen)),
        ]
        # Where: the index, as the form said and the server checked.
        assert [e.page for e in ledger] == ["http://127.0.0.1:8000/"] * 2
        wrong = await _post(
            h, {"email": "ola@example.no", "frequency": "daily", "topics": chosen, "page": "x"}
        )
        assert wrong.status_code == 400
        assert "Skjemaet kunne ikke kontrolleres. Send det på nytt." in wrong.text


async def test_the_sign_up_keeps_the_pages_language(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        answer = await _post(
            h, {"email": ADDRESS, "frequency": "weekly", "topics": [TOPIC]}, lang="nn"
        )
        assert answer.status_code == 200
        assert '<html lang="nn">' in answer.text
        requests = await h.all(select(SignupRequest))
        assert [(r.language, r.frequency) for r in requests] == [("nn", "weekly")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"email": ADDRESS, "frequency": "daily"}, "Velg minst ett tema."),
        (
            {"email": ADDRESS, "frequency": "daily", "topics": [TOPIC, "finnes-ikke"]},
            "Et tema du valgte, tilbys ikke lenger.",
        ),
        ({"email": "ikke-en-adresse", "topics": [TOPIC], "frequency": "daily"}, "gyldig"),
        ({"email": ADDRESS, "topics": [TOPIC]}, "Velg hvor ofte du vil få varsler."),
        (
            {"email": ADDRESS, "topics": [TOPIC], "frequency": "hourly"},
            "Velg hvor ofte du vil få varsler.",
        ),
    ],
)
async def test_a_wrong_form_is_a_400_with_a_reason_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, data: dict[str, Any], reason: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        refused = await _post(h, data)
        assert refused.status_code == 400
        assert reason in html.unescape(refused.text)
        assert "Noe er feil i skjemaet" in refused.text
        # What was chosen and typed comes back, known topics still ticked.
        assert _ticked_boxes(refused.text) == [t for t in data.get("topics", []) if t == TOPIC]
        assert csrf(refused.text)
        assert await h.state() == (0, 0, 0, 0, 0)


async def test_the_index_form_needs_csrf(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.client.get("/")
        data = {"email": ADDRESS, "frequency": "daily", "topics": [TOPIC], "csrf_token": "0" * 64}
        refused = await h.client.post("/", data=data)
        assert refused.status_code == 400
        assert "Skjemaet var for gammelt. Send det på nytt." in refused.text
        assert await h.state() == (0, 0, 0, 0, 0)
