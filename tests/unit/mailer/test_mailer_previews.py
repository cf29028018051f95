"""Previews: every kind of mail renders in every language, whole, from sample data."""

from __future__ import annotations

import pytest

from services.mailer.read_api import PREVIEW_KINDS, UnknownPreview, preview_mail
from shared.settings import Settings
from shared.vocabulary import LANGUAGES

TOPICS = [("vaksiner", "Vaksiner"), ("reiserad", "Reiseråd")]


@pytest.mark.parametrize("language", [str(lang) for lang in LANGUAGES])
@pytest.mark.parametrize("kind", PREVIEW_KINDS)
def test_each_kind_renders_in_each_language(kind: str, language: str) -> None:
    settings = Settings(base_url="https://varsel.example.no", site_name="Eksempeletaten")
    mail = preview_mail(settings, kind, language, TOPICS)
    headers = dict(mail.headers)
    assert headers["To"] == "kari.nordmann@example.no"
    assert headers["From"] == settings.mail_from
    assert headers["Subject"].strip()
    assert mail.html.lstrip().lower().startswith("<!doctype html>")
    assert mail.text.strip()
    if kind.startswith("operator") or kind == "review_reminder":
        # Staff notices carry every language, one below the other.
        assert "Eksempelside" in mail.text
        if kind == "review_reminder":
            assert "Endring venter på gjennomgang" in headers["Subject"]
            assert "https://varsel.example.no/admin/desk/" in mail.text
        return
    assert headers["Content-Language"] == language
    assert f'lang="{language}"' in mail.html
    if kind == "bulletin":
        assert "List-Unsubscribe" in headers
        assert (
            "<strong>1. desember</strong>" in mail.html
            or "<strong>1 December</strong>" in mail.html
        )
        assert "Vaksiner" in mail.text and "Reiseråd" in mail.text
    if kind in {"alert", "digest"}:
        assert "List-Unsubscribe" in headers
        assert "Vaksiner" in mail.text
    if kind == "digest":
        assert "Reiseråd" in mail.text
    if kind == "topic_ended":
        assert "https://varsel.example.no/subscribe/reiserad" in mail.text
    if kind == "confirm":
        assert "https://varsel.example.no/confirm/eksempel" in mail.text


def test_the_same_preview_twice_is_the_same() -> None:
    # Only the MIME boundary differs between two renderings.
    first, second = (preview_mail(Settings(), "digest", "nn", TOPICS) for _ in range(2))
    assert (first.html, first.text) == (second.html, second.text)
    assert dict(first.headers)["Subject"] == dict(second.headers)["Subject"]


def test_without_topics_made_up_ones_stand_in() -> None:
    assert "Eksempel" in preview_mail(Settings(), "alert", "nb").text


@pytest.mark.parametrize(("kind", "language"), [("newsletter", "nb"), ("alert", "de"), ("", "")])
def test_an_unknown_kind_or_language_is_refused(kind: str, language: str) -> None:
    with pytest.raises(UnknownPreview):
        preview_mail(Settings(), kind, language)
