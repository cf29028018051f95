"""The public forms in bokmål, nynorsk and English: chosen by the link or the browser, every
label translated, and the answer to a sign-up in the form's language."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from services.subscriptions.entrypoints.wording import ADDRESS_PROBLEMS
from shared.vocabulary import LANGUAGES
from tests.support.words import catalogues, page_text

from .harness import TOPIC, running, sign_up

PAGES = ("/subscribe/{topic}", "/embed/subscribe/{topic}", "/manage-link", "/privacy")


def _translations(language: str) -> dict[str, str]:
    translations = catalogues("pages")[language].translations
    return {key: value for key, value in translations._catalog.items() if isinstance(key, str)}  # type: ignore[attr-defined]


def _texts_shown(language: str) -> set[str]:
    """Return the other languages' words that must not appear on a page in ``language``."""
    own = _translations(language)
    foreign = {
        text
        for other in LANGUAGES
        if other != language
        for key, text in _translations(other).items()
        if key and text != own.get(key) and "%(" not in text
    }
    # A word the language shares inside a longer text of its own («Varsel» in «Få varsel …»)
    # is not a leak.
    return {text for text in foreign if not any(text in mine for mine in own.values())}


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [
        ("?lang=en", None, "en"),
        ("", "en-GB,en;q=0.9", "en"),
        ("", "de-DE, en;q=0.8, nb;q=0.5", "en"),
        ("", None, "nb"),
        ("", "nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ("?lang=nb", "en", "nb"),
        ("?lang=xx", "fr", "nb"),
        ("?lang=nn", None, "nn"),
        ("", "nn-NO,nn;q=0.9,nb;q=0.8,en;q=0.5", "nn"),
        ("", "en;q=0.4, nn;q=0.6", "nn"),
        ("?lang=nn", "nb", "nn"),
        ("", "no", "nb"),
        ("?lang=no", "nn", "nb"),
    ],
)
async def test_language_negotiation_translates_every_label(
    sqlite_url: str, tmp_path: Path, query: str, accept: str | None, language: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    foreign = _texts_shown(language)
    async with running(sqlite_url, tmp_path) as h, h.browser(headers=headers) as client:
        for page in PAGES:
            answer = await client.get(page.format(topic=TOPIC) + query)
            assert answer.status_code == 200
            shown = html.unescape(answer.text)
            assert f'lang="{language}"' in answer.text
            leaked = [text for text in foreign if text in shown]
            assert leaked == [], f"{page}: untranslated {leaked}"
        form = html.unescape((await client.get(f"/subscribe/{TOPIC}{query}")).text)
        for message in (
            "Email address",
            "Immediately",
            "Daily",
            "Weekly",
            "Do you also want alerts about:",
            "The email address you register will only be used to send you these alerts. You can "
            "cancel your alerts and delete your email address at any time by following the link "
            "in the alerts you receive.",
            "Subscribe",
        ):
            assert page_text(language, message) in form, message
        # The answer to a sign-up and its error messages follow the form's language.
        bad = await sign_up(client, "nope", lang=query.removeprefix("?lang=") or None)
        invalid = page_text(language, ADDRESS_PROBLEMS["error_email_invalid"])
        assert invalid in html.unescape(bad.text)
