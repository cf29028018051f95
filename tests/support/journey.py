"""What a person does with varsel from outside: fill in forms and follow links in mails."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from html import unescape

import httpx

from tests.support.smtp import Mailbox, Received


def csrf(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form has no CSRF token"
    return match.group(1)


def _named(fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Return form fields by name; a name the form repeats (the topics a confirm page listed)
    holds every value, in order, as a browser sends each one."""
    values: dict[str, list[str]] = {}
    for name, value in fields:
        values.setdefault(name, []).append(value)
    return {name: found[0] if len(found) == 1 else found for name, found in values.items()}


def hidden_fields(html: str) -> dict[str, str | list[str]]:
    """Return the hidden fields of the first form on a page, as a browser sends them back."""
    form = re.search(r"<form\b.*?</form>", html, re.S)
    assert form, "the page has no form"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    return _named(fields)


def form_with(html: str, button: str) -> tuple[str, dict[str, str | list[str]]]:
    """Return where the form holding the button of value ``button`` posts, and its hidden
    fields and that button, as a browser sends them when the button is pressed."""
    for attributes, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
        if re.search(rf'<button\b[^>]*name="action" value="{re.escape(button)}"', body) is None:
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        assert action, "the form names no address to post to"
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
        data = _named([(name, unescape(value)) for name, value in fields])
        return unescape(action.group(1)), {**data, "action": button}
    raise AssertionError(f"no form on the page has the button {button!r}")


def language_switch(html: str, language: str) -> str:
    """Return where the page's language switch leads for ``language``."""
    link = re.search(rf'<a href="([^"]+)" lang="{re.escape(language)}" hreflang=', html)
    assert link, f"the page offers no switch to {language}"
    return unescape(link.group(1))


def text_of(mail: Received) -> str:
    """Return the plain-text part of a mail."""
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(mail: Received, pattern: str) -> str:
    """Return the first link in a mail's text that matches ``pattern``."""
    match = re.search(pattern, text_of(mail))
    assert match, f"no link matching {pattern} in:\n{text_of(mail)}"
    return match.group(0)


def subscribe_and_confirm(
    browser: httpx.Client, mailbox: Mailbox, slug: str, address: str, frequency: str
) -> None:
    """Sign up on the topic's page, then follow the confirmation mail and press the button."""
    form = browser.get(f"/subscribe/{slug}")
    assert form.status_code == 200, form.text
    answer = browser.post(
        f"/subscribe/{slug}",
        data={**hidden_fields(form.text), "email": address, "frequency": frequency},
    )
    assert answer.status_code == 200, answer.text
    confirmation = mailbox.wait_for(len(mailbox.messages) + 1)[-1]
    confirm_url = link_in(confirmation, rf"{re.escape(str(browser.base_url))}/confirm/\S+")
    button = browser.get(confirm_url)
    done = browser.post(confirm_url, data=hidden_fields(button.text))
    assert done.status_code == 200, done.text


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s until it holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
