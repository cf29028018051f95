"""Bulletins' rules and mail: who gets one when, the language fallback, safe Markdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.mailer.domain.bulletin_mail import render_bulletin
from services.mailer.domain.bulletins import (
    BulletinRoute,
    markdown_html,
    markdown_text,
    route_for,
    words_for,
)
from services.mailer.domain.ledger import Batch, BulletinReference, decode_reference
from services.mailer.domain.mime import RecipientLinks
from shared.events import BulletinPublished
from tests.unit.mailer.conftest import BASE_URL, LIST_ID, SENDER, SENT_AT

TEXTS = {
    "nb": {"subject": "Stengt i julen", "body": "Kontoret er **stengt**.\n\n- 24.\n- 25."},
    "en": {"subject": "Closed at Christmas", "body": "The office is **closed**."},
}


@pytest.mark.parametrize(
    ("frequency", "urgent", "route"),
    [
        ("immediate", False, BulletinRoute.NOW),
        ("daily", False, BulletinRoute.DIGEST),
        ("weekly", False, BulletinRoute.DIGEST),
        ("immediate", True, BulletinRoute.NOW),
        ("daily", True, BulletinRoute.NOW),
        ("weekly", True, BulletinRoute.NOW),
    ],
)
def test_urgent_overrides_digests_and_normal_goes_with_the_next_mails(
    frequency: str, urgent: bool, route: BulletinRoute
) -> None:
    assert route_for(frequency, urgent=urgent) is route


def test_nynorsk_readers_get_bokmaal_unless_nynorsk_is_written() -> None:
    assert words_for(TEXTS, "nn").language == "nb"
    assert words_for(TEXTS, "en").subject == "Closed at Christmas"
    with_nn = {**TEXTS, "nn": {"subject": "Stengt i jula", "body": "Kontoret er stengt."}}
    assert words_for(with_nn, "nn").subject == "Stengt i jula"
    with pytest.raises(LookupError):
        words_for({"en": TEXTS["en"]}, "nb")


def test_markdown_has_no_raw_html_and_no_unsafe_links() -> None:
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[klikk](javascript:alert(3)) [data](data:text/html,x) [fhi](https://www.fhi.no/)"
    )
    html = str(markdown_html(hostile))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert 'href="data:' not in html
    assert '<a href="https://www.fhi.no/">fhi</a>' in html
    assert markdown_text("Linje 1  \r\nLinje 2\r\n\r\n") == "Linje 1\nLinje 2"


def test_an_image_is_a_link_to_it_and_never_loaded_by_the_mail() -> None:
    # Loaded when the mail is opened, an image from another host tells it who read the mail.
    html = str(
        markdown_html(
            "Se ![kart over kontoret](https://cdn.example.org/kart.png) og ![](https://t.example/p.gif)"
            "\n\n[![logo](https://cdn.example.org/logo.png)](https://www.fhi.no/)"
            "\n\n![ref][r]\n\n[r]: https://t.example/r.png"
        )
    )
    assert "<img" not in html
    assert '<a href="https://cdn.example.org/kart.png">kart over kontoret</a>' in html
    assert '<a href="https://t.example/p.gif">https://t.example/p.gif</a>' in html
    assert '<a href="https://www.fhi.no/">logo</a>' in html
    assert '<a href="https://t.example/r.png">ref</a>' in html


def test_one_mail_per_person_per_bulletin_by_its_ledger_key() -> None:
    batch = Batch.bulletin(
        decode_reference(
            "bulletin", {"bulletin_id": "6a1f4f2e-9f0b-4a55-9d8e-2f7c1c0b9a11"}
        ).bulletin_id  # type: ignore[union-attr]
    )
    assert batch.key == "bulletin:6a1f4f2e-9f0b-4a55-9d8e-2f7c1c0b9a11"
    assert isinstance(batch.reference, BulletinReference)


def test_a_bulletin_needs_bokmaal_and_english() -> None:
    with pytest.raises(ValueError, match="needs a text in en"):
        BulletinPublished(
            bulletin_id="6a1f4f2e-9f0b-4a55-9d8e-2f7c1c0b9a11",  # type: ignore[arg-type]
            topics=("a",),
            texts={"nb": TEXTS["nb"]},  # type: ignore[dict-item]
            urgent=False,
            actor="rita",
        )


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_mail_has_both_parts_the_list_headers_and_the_footer(
    env: Any, links: RecipientLinks, parse_mail: Callable[[bytes], Any], language: str
) -> None:
    mail = render_bulletin(
        env,
        language=language,
        texts=TEXTS,
        topic_titles=["Norge i verden", "Vaksiner"],
        frequency="daily",
        sender=SENDER,
        list_id=LIST_ID,
        base_url=BASE_URL,
    )
    parsed = parse_mail(
        mail.personalise(to="kari@example.org", links=links, message_id="<b@x>", date=SENT_AT)
    )
    expected = "Closed at Christmas" if language == "en" else "Stengt i julen"
    assert parsed.message["Subject"] == expected
    assert parsed.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links.one_click_url in parsed.message["List-Unsubscribe"]
    assert links.unsubscribe_url in parsed.text and links.unsubscribe_url in parsed.page.hrefs
    assert "strong" in parsed.page.tags
    assert parsed.page.html_lang == language
    assert "Vaksiner" in parsed.text


def test_the_editors_headings_sit_below_the_subject() -> None:
    html = str(markdown_html("# Første\n\n## Andre\n\n###### Sjette", below=2))
    assert "<h3>Første</h3>" in html and "<h4>Andre</h4>" in html
    assert "<h6>Sjette</h6>" in html  # there is no seventh level
