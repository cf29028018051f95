"""The bulletin editor in a real headless Chromium, every state checked by axe-core.

An editor without an address of their own is told a test send cannot go, fixes a form that
lacks the English text, and sends the bulletin; the followers' mails land in the outbox
folder of the running varsel (no SMTP server is set).
"""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin_support import AUDITOR, CALLERS, EDITOR, AdminApp, go, press, sign_in
from tests.browser.admin_support import admin_app as admin_app
from tests.browser.checks import assert_accessible
from tests.support.words import admin_text

pytestmark = pytest.mark.browser
TOPIC_TITLE = {"nb": "Norge i verden", "en": "Norway in the world"}  # the catalogue's titles


def subjects_in(outbox: Path) -> list[tuple[str, str]]:
    """Return (recipient, subject) of every mail written to the outbox folder."""
    found = []
    for path in outbox.glob("**/*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        found.append((str(message["To"]), str(message["Subject"])))
    return found


@pytest.mark.parametrize("language", ["nb", "en"])
def test_an_editor_writes_and_sends_a_bulletin(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, EDITOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "Bulletins")).click()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Write a bulletin"))
    assert_accessible(page, language)

    subject = f"Stengt i julen ({language})"
    page.get_by_label(TOPIC_TITLE[language]).check()
    # The count needs only the topics: the empty required fields do not hold it back.
    assert press(page, admin_text(language, "Count recipients")).status == 200
    reach = page.get_by_role(
        "table", name=admin_text(language, "Who it would reach now, each person once")
    )
    expect(reach).to_contain_text(admin_text(language, "In all"))
    expect(page.get_by_label(TOPIC_TITLE[language])).to_be_checked()
    assert_accessible(page, language)
    bokmaal = page.get_by_role("group", name=admin_text(language, "Bokmål (required)"))
    bokmaal.get_by_label(admin_text(language, "Subject")).fill(subject)
    bokmaal.get_by_label(admin_text(language, "Message")).fill("Kontoret er **stengt**.")
    page.get_by_label(
        admin_text(
            language,
            "Now to everyone: urgent, every follower gets it at once, whatever their frequency",
        )
    ).check()
    # No English text yet, and the browser's own check is off: the server says what is wrong.
    page.locator("form").last.evaluate("form => form.noValidate = true")
    assert press(page, admin_text(language, "Send the bulletin")).status == 400
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text(
            language,
            "Write a subject and a message in bokmål and English (and both or neither in nynorsk).",
        )
    )
    expect(bokmaal.get_by_label(admin_text(language, "Subject"))).to_have_value(subject)
    assert_accessible(page, language)

    english = page.get_by_role("group", name=admin_text(language, "English (required)"))
    english.get_by_label(admin_text(language, "Subject")).fill(f"Closed at Christmas ({language})")
    english.get_by_label(admin_text(language, "Message")).fill("The office is **closed**.")
    assert press(page, admin_text(language, "Send a test to my address")).status == 409
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text(
            language,
            "Your account has no email address to send a test to. "
            "An operator can add one on the accounts page.",
        )
    )
    assert_accessible(page, language)

    assert press(page, admin_text(language, "Send the bulletin")).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        admin_text(language, "The bulletin is sent. The mails go out now.")
    )
    sent = page.get_by_role("table", name=admin_text(language, "Sent bulletins"))
    expect(sent).to_contain_text(subject)
    assert_accessible(page, language)

    # Every follower of the topic (daily digest people) gets it now, once.
    outbox = admin_app.varsel.log_path.parent / "var" / "outbox"
    deadline = time.monotonic() + 60
    wanted = {(caller, subject) for caller in CALLERS.values()}
    while not wanted <= set(subjects_in(outbox)) and time.monotonic() < deadline:
        time.sleep(0.5)
    got = [mail for mail in subjects_in(outbox) if mail[1] == subject]
    assert sorted(got) == sorted(wanted)


def test_an_auditor_cannot_open_the_bulletin_editor(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR)
    expect(page.get_by_role("link", name=admin_text("nb", "Bulletins"))).to_have_count(0)
    assert go(page, f"{admin_app.base_url}/admin/bulletins").status == 403
    assert_accessible(page, "nb")
