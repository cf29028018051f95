"""Fixtures for the mailer's pure domain: a template environment, changes, recipients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

import jinja2
import pytest

from services.mailer.domain.mail_templates import build_environment
from services.mailer.domain.mime import RecipientLinks
from services.mailer.domain.views import ChangeView

SENDER = "Folkehelseinstituttet <varsel@fhi.no>"
LIST_ID = "varsel.fhi.no"
BASE_URL = "https://www.fhi.no"
SENT_AT = datetime(2026, 11, 22, 6, 0, 0, tzinfo=UTC)
HOSTILE_TITLE = 'Norge i verden <script>alert(1)</script>"><img src=x onerror=alert(2)>'


class LinkCollector(HTMLParser):
    """Collect every tag, attribute and visible text of an HTML part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="session")
def env() -> jinja2.Environment:
    return build_environment()


@pytest.fixture
def make_change() -> Callable[..., ChangeView]:
    def make(**overrides: Any) -> ChangeView:
        fields: dict[str, Any] = {
            "title": "Norge i verden",
            "url": "https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            "topic_slugs": ("norge-i-verden",),
            "topic_titles": ("Norge i verden",),
            "published": date(2024, 3, 3),
            "updated": date(2025, 8, 18),
            "summary": "Nytt avsnitt om Norges bidrag til global helse.",
            "occurred_at": datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        }
        fields.update(overrides)
        return ChangeView(**fields)

    return make


@pytest.fixture
def links() -> RecipientLinks:
    return RecipientLinks(
        manage_url="https://varsel.fhi.no/manage/s1.YWJj?lang=nb&ref=mail",
        unsubscribe_url="https://varsel.fhi.no/unsubscribe/s1.ZGVm",
        one_click_url="https://varsel.fhi.no/one-click/s1.Z2hp",
    )


@dataclass(frozen=True)
class ParsedMail:
    """A generated message parsed back the way a mail client would."""

    raw: bytes
    message: EmailMessage
    text: str
    html: str
    page: LinkCollector


def _parse(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    assert message.get_content_type() == "multipart/alternative"
    children = list(message.iter_parts())
    # text/plain first, then text/html: clients show the last alternative they understand.
    assert [part.get_content_type() for part in children] == ["text/plain", "text/html"]
    for part in children:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert not part.defects
    text, html = (part.get_content() for part in children)
    page = LinkCollector()
    page.feed(html)
    page.close()
    return ParsedMail(raw=raw, message=message, text=text, html=html, page=page)


@pytest.fixture
def parse_mail() -> Callable[[bytes], ParsedMail]:
    return _parse
