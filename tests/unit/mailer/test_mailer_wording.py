"""The mail wording: both languages complete, and no untranslated word in a mail."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.mailer.domain.message import (
    TEMPLATES_DIR,
    render_alert,
    render_confirm,
    render_digest,
    render_manage_link,
)
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.views import build_digest_sections
from services.mailer.domain.wording import MESSAGES, Translator, normalise_language


def placeholders(message: str | tuple[str, str]) -> set[str]:
    forms = message if isinstance(message, tuple) else (message,)
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name} - {
        "n"
    }


def test_both_languages_have_the_same_keys_placeholders_and_plurals() -> None:
    assert MESSAGES["nb"].keys() == MESSAGES["en"].keys()
    for key, norwegian in MESSAGES["nb"].items():
        english = MESSAGES["en"][key]
        assert isinstance(norwegian, tuple) == isinstance(english, tuple), key
        assert placeholders(norwegian) == placeholders(english), key


def test_every_key_used_in_a_template_exists() -> None:
    used: set[str] = set()
    for path in Path(TEMPLATES_DIR).rglob("*"):
        if path.suffix in {".txt", ".html"}:
            used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text("utf-8")))
    assert used
    # A key ending in "." is completed in the template: with the digest frequency, or with the
    # source's state in the operators' mail.
    completions = {"operator": ("failing", "recovered")}
    expanded = {
        key + suffix if key.endswith(".") else key
        for key in used
        for suffix in completions.get(key.split(".")[0], ("daily", "weekly"))
    }
    assert expanded <= MESSAGES["nb"].keys()


def test_each_mail_is_a_folder_with_subject_and_two_bodies() -> None:
    for name in ("alert", "digest", "confirm", "manage_link"):
        folder = Path(TEMPLATES_DIR) / name
        assert sorted(p.name for p in folder.iterdir()) == ["body.html", "body.txt", "subject.txt"]


def test_templates_hold_no_words_of_their_own() -> None:
    # Every visible word comes from the wording, so both languages are always complete.
    for path in Path(TEMPLATES_DIR).rglob("*"):
        if path.suffix not in {".txt", ".html"}:
            continue
        source = path.read_text("utf-8")
        source = re.sub(r"{[{%].*?[%}]}", " ", source, flags=re.DOTALL)
        source = re.sub(r"<[^>]*>", " ", source)
        leftovers = re.findall(r"[A-Za-zÆØÅæøå]{2,}", source)
        assert leftovers == [], f"{path.name}: {leftovers}"


def test_translator_formats_dates_lists_and_plurals() -> None:
    nb, en = Translator("nb"), Translator("en")
    assert nb.format_date(date(2022, 8, 18)) == "18. august 2022"
    assert en.format_date(date(2022, 8, 18)) == "18 August 2022"
    assert nb.quoted_list(["A", "B", "C"]) == "«A», «B» og «C»"
    assert en.quoted_list(["A", "B"]) == "“A” and “B”"
    assert nb.plural("digest.count", 1) == "1 endring"
    assert nb.plural("digest.count", 0) == "0 endringer"
    assert en.plural("digest.count", 2) == "2 changes"
    with pytest.raises(KeyError):
        nb("digest.count")
    with pytest.raises(KeyError):
        nb.plural("footer.manage", 2)
    assert normalise_language("NB-no") == "nb"
    assert normalise_language("no") == "nb"
    with pytest.raises(ValueError):
        normalise_language("sv")


NORWEGIAN_ONLY = re.compile(
    r"\b(varsler|varslene|endring|endringer|Publisert|Oppdatert|Hyppighet|lenken|"
    r"Bekreft|e-postadressen|Avslutt|oppsummering|Daglig|Ukentlig|personvern|ingenting)\b",
    re.IGNORECASE,
)


def test_english_mails_contain_no_norwegian_words(env, make_change, links, parse_mail) -> None:
    change = make_change(
        title="Global health report",
        summary="A new section on global health.",
        topic_titles=("Global health",),
    )
    identity = {"sender": "NIPH <alerts@fhi.no>", "base_url": "https://www.fhi.no/en"}
    period = period_ending_at_or_before(
        "weekly", datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tz=ZoneInfo("Europe/Oslo")
    )
    mails = [
        render_alert(
            env, language="en", change=change, topic_title="Global health",
            list_id="alerts.fhi.no", privacy_url="https://www.fhi.no/en/privacy", **identity,
        ),
        render_digest(
            env, language="en", period=period, list_id="alerts.fhi.no",
            sections=build_digest_sections(
                [change, make_change(url="https://www.fhi.no/en/b", title="B", summary="b")],
                {"norge-i-verden": "Global health"}, per_topic_limit=1,
            ),
            **identity,
        ),
        render_confirm(
            env, language="en", confirm_url="https://www.fhi.no/en/c/1", topics=["Global health"],
            existing_topics=["Vaccines"], frequency="weekly", previous_frequency="daily",
            expires_days=1, **identity,
        ),
        render_manage_link(
            env, language="en", manage_url="https://www.fhi.no/en/m/1", expires_hours=1,
            **identity,
        ),
    ]  # fmt: skip
    for mail in mails:
        parsed = parse_mail(
            mail.personalise(
                to="a@example.org", links=links, message_id="<1@fhi.no>", date=period.end
            )
        )
        visible = " ".join(parsed.page.text)
        for part in (parsed.text, visible, parsed.message["Subject"]):
            assert not NORWEGIAN_ONLY.search(part), (mail.kind, NORWEGIAN_ONLY.search(part))
