"""Bulletins from the outside: varsel runs as its own process, aiosmtpd receives its mail, and
an editor signs in and sends over HTTP.

A test send reaches only the editor's own address. An urgent bulletin reaches daily-digest
followers at once; a normal one reaches immediate followers at once and daily-digest followers
in their next digest (varsel restarted with its clock a day ahead, as an operator rehearses a
digest run).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx

from tests.support.journey import subscribe_and_confirm, text_of
from tests.support.smtp import Received, SmtpServer
from tests.support.varsel_process import VarselProcess, varsel_command

PASSWORD = "correct horse battery staple"
EDITOR_ADDRESS = "redaktor@fhi.example"
EDITOR_ARGS = ("--role", "editor", "--email", EDITOR_ADDRESS, "--password-stdin")
CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", en = "Norway in the world" }

[[topics]]
slug = "vaksiner"
title = { nb = "Vaksiner", en = "Vaccines" }
"""
# A day and two hours ahead: the latest complete daily period then ends after the bulletin.
A_DAY_AHEAD = str(26 * 3600)


def _create_editor(varsel: VarselProcess, workdir: Path) -> None:
    said = varsel_command(
        varsel.environment,
        workdir,
        "admin",
        "create-user",
        "redaktor",
        *EDITOR_ARGS,
        stdin=f"{PASSWORD}\n",
    )
    assert EDITOR_ADDRESS not in said


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def _sign_in(client: httpx.Client) -> None:
    login = client.get("/admin/login")
    answer = client.post(
        "/admin/login",
        data={
            "name": "redaktor",
            "password": PASSWORD,
            "csrf_token": _field(login.text, "csrf_token"),
        },
    )
    assert answer.status_code == 303, answer.text


def _bulletin(client: httpx.Client, subject: str, mode: str, action: str = "send") -> str:
    form = client.get("/admin/bulletins")
    assert form.status_code == 200
    answer = client.post(
        "/admin/bulletins",
        data={
            "csrf_token": _field(form.text, "csrf_token"),
            "bulletin_id": _field(form.text, "bulletin_id"),
            "topics": ["norge-i-verden", "vaksiner"],
            "subject_nb": subject,
            "body_nb": f"**{subject}**: kontoret holder stengt.",
            "subject_en": f"{subject} (en)",
            "body_en": "The office is closed.",
            "mode": mode,
            "action": action,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def _tests_shown(client: httpx.Client, subject: str, state: str) -> str:
    """Return the bulletin page once «Your latest tests» shows the test's two mails in
    ``state``; it says what became of a test the page did not wait for."""
    deadline = time.monotonic() + 60
    while True:
        page = client.get("/admin/bulletins").text
        rows = re.findall(
            rf"<tr><td>[^<]*</td><td>{subject}</td><td>[^<]*</td><td>([^<]*)</td>", page
        )
        if rows[:2] == [state, state]:
            return page
        assert time.monotonic() < deadline, f"the tests of {subject} show {rows}, not {state}"
        time.sleep(0.2)


def _subjects(mails: list[Received], address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in mails if m.recipients == [address]]


def test_urgent_now_normal_with_the_next_digest_and_a_test_to_the_editor(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    env = {
        "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
        "VARSEL_SMTP_URL": smtp.url,
        "VARSEL_CONFIG": str(config),
        "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
    }
    varsel = VarselProcess(tmp_path, env)
    varsel.start()
    try:
        _create_editor(varsel, tmp_path)
        with httpx.Client(base_url=varsel.base_url, timeout=10) as client:
            for address, frequency in (
                ("daglig@example.no", "daily"),
                ("straks@example.no", "immediate"),
            ):
                subscribe_and_confirm(client, smtp.mailbox, "norge-i-verden", address, frequency)
        seen = len(smtp.mailbox.messages)  # the two confirmations

        with httpx.Client(base_url=varsel.base_url, timeout=10) as client:
            _sign_in(client)
            said = _bulletin(client, "Prøven", "urgent", action="test")
            # Before, the page said a test was on its way whatever became of it.
            assert (
                "Prøven er sendt til adressen din" in said
                or "Prøven står i kø, men er ikke sendt ennå" in said
            )
            _tests_shown(client, "Prøven", "Sendt")
            tested = smtp.mailbox.wait_for(seen + 2, timeout=60)[seen:]  # nb and en
            assert {tuple(m.recipients) for m in tested} == {(EDITOR_ADDRESS,)}
            assert sorted(str(m.message["Subject"]) for m in tested) == [
                "[Prøve] Prøven",
                "[Test] Prøven (en)",
            ]
            seen += 2

            # A relay that refuses them: the editor is told, with the relay's words.
            smtp.mailbox.scripted += ["550 5.7.1 Refused by policy"] * 2
            said = _bulletin(client, "Avvist", "urgent", action="test")
            assert "Prøven står i kø" in said or "Prøven kunne ikke sendes" in said
            page = _tests_shown(client, "Avvist", "Feilet")
            assert "Refused by policy" in page
            assert smtp.mailbox.messages[seen:] == []

            _bulletin(client, "Stengt i dag", "urgent")
            urgent = smtp.mailbox.wait_for(seen + 2, timeout=60)[seen:]
            assert sorted(m.recipients[0] for m in urgent) == [
                "daglig@example.no",
                "straks@example.no",
            ]
            assert all(str(m.message["Subject"]) == "Stengt i dag" for m in urgent)
            assert "**Stengt i dag**: kontoret holder stengt." in text_of(urgent[0])
            assert urgent[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            seen += 2

            _bulletin(client, "Nytt fra redaksjonen", "next")
            (now_mail,) = smtp.mailbox.wait_for(seen + 1, timeout=60)[seen:]
            assert now_mail.recipients == ["straks@example.no"]
            seen += 1
    finally:
        varsel.stop()
    assert _subjects(smtp.mailbox.messages, "daglig@example.no")[-1] == "Stengt i dag"

    # The next digest: varsel started again a day ahead runs it at start-up.
    ahead = VarselProcess(tmp_path, {**env, "VARSEL_CLOCK_OFFSET_SECONDS": A_DAY_AHEAD})
    ahead.start()
    try:
        (digest,) = smtp.mailbox.wait_for(seen + 1, timeout=90)[seen:]
    finally:
        ahead.stop()
    assert digest.recipients == ["daglig@example.no"]
    body = text_of(digest)
    assert "Nytt fra redaksjonen" in body and "Stengt i dag" not in body
    everyone = smtp.mailbox.messages
    assert _subjects(everyone, "straks@example.no").count("Nytt fra redaksjonen") == 1
    assert len(_subjects(everyone, "daglig@example.no")) == 3  # confirmation, urgent, digest
