"""Erasure leaves no byte: after the link in a mail erases a person, while varsel still runs,
no file it writes (the SQLite database, its -wal and -shm, the outbox, anything under var/) and
nothing it printed holds the address or its local part.

varsel runs as its own process in the embedded mode without SMTP, so every mail is an .eml file
under var/outbox/; a real HTTP server serves the watched page, so the person gets a real alert.
"""

from __future__ import annotations

import re
import time
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import httpx

from tests.support.journey import form_with, hidden_fields
from tests.support.site import FixtureSite
from tests.support.varsel_process import VarselProcess, wait_until
from tests.support.watched_page import ADDED, watched_page

LOCAL_PART = "ingrid.slettes-helt"
ADDRESS = f"{LOCAL_PART}@eksempel.no"
NEEDLES = (ADDRESS.encode(), LOCAL_PART.encode())

CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "{url}"

[[sources]]
url = "{url}"
kind = "page"
topics = ["norge-i-verden"]
interval = "1s"
"""


def _holders(paths: list[Path]) -> dict[str, list[str]]:
    """Return which of ``paths`` hold which needle, in their raw bytes (any letter case)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        try:
            data = path.read_bytes().lower()
        except FileNotFoundError:
            continue  # a temporary file gone between listing and reading
        hits = [needle.decode() for needle in NEEDLES if needle in data]
        if hits:
            found[str(path)] = hits
    return found


def _written(workdir: Path) -> list[Path]:
    """Return every file varsel wrote: all of var/, and the log of its stdout and stderr."""
    return [p for p in (workdir / "var").rglob("*") if p.is_file()] + [workdir / "varsel.log"]


def _mail_with(outbox: Path, path: str, seen: int, within: float = 30) -> str:
    """Wait for a mail beyond the first ``seen`` whose text has a link to ``path``; return it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for mail in outbox.glob("*.eml"):
            message = BytesParser(policy=default).parsebytes(mail.read_bytes())
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            link = re.search(rf"http://127\.0\.0\.1:\d+{path}/\S+", str(body.get_content()))
            if link and len(list(outbox.glob("*.eml"))) > seen:
                return link.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail with a {path} link in {outbox} within {within}s")


def test_erasing_by_the_mails_link_leaves_the_address_in_no_file(tmp_path: Path) -> None:
    site = FixtureSite()
    site.set("/norge-i-verden", watched_page())
    site.start()
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=f"{site.base_url}/norge-i-verden"), encoding="utf-8")
    # DEBUG: the most the logs ever say, so a leak at any level shows up in the search.
    env = {"VARSEL_CONFIG": str(config), "VARSEL_SMTP_URL": "", "VARSEL_LOG_LEVEL": "DEBUG"}
    varsel = VarselProcess(tmp_path, env)
    outbox = tmp_path / "var" / "outbox"
    varsel.start()
    try:
        wait_until(lambda: site.hits("/norge-i-verden") >= 2, "the watcher's first polls", 30)
        with httpx.Client(base_url=varsel.base_url, timeout=10) as browser:
            form = browser.get("/subscribe/norge-i-verden")
            signed_up = browser.post(
                "/subscribe/norge-i-verden",
                data={**hidden_fields(form.text), "email": ADDRESS, "frequency": "immediate"},
            )
            assert signed_up.status_code == 200, signed_up.text
            confirm_url = _mail_with(outbox, "/confirm", 0)
            button = browser.get(confirm_url)
            confirmed = browser.post(confirm_url, data=hidden_fields(button.text))
            assert confirmed.status_code == 200, confirmed.text

            site.set("/norge-i-verden", watched_page(ADDED))
            unsubscribe_url = _mail_with(outbox, "/unsubscribe", 1)
            assert len(list(outbox.glob("*.eml"))) == 2
            # The search does find the address while the person exists (mails, database).
            assert _holders(_written(tmp_path)), "the address is nowhere before erasure"

            page = browser.get(unsubscribe_url)
            assert page.status_code == 200
            action, erase = form_with(page.text, "erase")
            erased = browser.post(action, data=erase)
            assert erased.status_code == 200, erased.text

        # The mailer drops the person's files when the erasure event reaches it, at once.
        try:
            wait_until(lambda: not _holders(_written(tmp_path)), "the address to be gone", 15)
        except AssertionError:
            raise AssertionError(
                f"the address is still on disk: {_holders(_written(tmp_path))}"
            ) from None
        # Read while the service still runs: nothing waits for a shutdown to tidy up.
        assert httpx.get(f"{varsel.base_url}/healthz").status_code == 200
        names = {p.name for p in _written(tmp_path)}
        assert {"varsel.db", "varsel.db-wal", "varsel.db-shm"} <= names
        assert list(outbox.glob("*.eml")) == []
    finally:
        varsel.stop()
        site.stop()
