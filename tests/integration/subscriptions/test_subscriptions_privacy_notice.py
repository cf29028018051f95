"""The organisation's privacy notice: shown at /privacy, versioned at start-up, named by consent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from services.subscriptions.adapters.tables import PrivacyNotice
from services.subscriptions.domain.vocabulary import ConsentAction
from shared.vocabulary import Language
from tests.support.journey import form_with
from varsel.cli import app as varsel_cli

from .harness import confirm, running, sign_up

NOTICE = """---
date: 2026-05-01
controller: Kommunen, Rådhusgata 1, 0001 Oslo
contact: personvern@kommunen.example
---
## Hvem er ansvarlig ({language})

Kommunen er behandlingsansvarlig. <script>alert(1)</script>

[Skriv til oss](mailto:personvern@kommunen.example) eller [klikk](javascript:alert(2)).
"""


def _write(folder: Path, extra: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    for language in Language:
        text = NOTICE.format(language=language.value) + extra
        (folder / f"{language.value}.md").write_text(text, encoding="utf-8")
    return folder


async def test_the_operators_notice_is_shown_and_each_new_text_is_a_new_version(
    database_url: str, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "notice")
    async with running(database_url, tmp_path, privacy_notice_dir=folder) as h:
        page = await h.client.get("/privacy")
        assert page.status_code == 200
        assert "<h2>Hvem er ansvarlig (nb)</h2>" in page.text
        assert '<a href="mailto:personvern@kommunen.example">' in page.text
        # The operator's Markdown cannot carry a script or a javascript: link.
        assert "<script>" not in page.text and 'href="javascript:' not in page.text
        english = await h.client.get("/privacy?lang=en")
        assert "Hvem er ansvarlig (en)" in english.text
        nb_v1 = await h.all(select(PrivacyNotice.version).where(PrivacyNotice.language == "nb"))
        assert len(nb_v1) == 1 and nb_v1[0].startswith("2026-05-01.")
        assert f"Versjon {nb_v1[0]}" in page.text
        assert (await sign_up(h.client, "kari@example.no")).status_code == 200
    # The operator edits the text and restarts: a new version is stored beside the old one.
    _write(folder, extra="\nVi har fått nytt personvernombud.\n")
    async with running(database_url, tmp_path, privacy_notice_dir=folder) as h:
        versions = await h.all(select(PrivacyNotice.version).where(PrivacyNotice.language == "nb"))
        assert len(versions) == 2 and nb_v1[0] in versions
        (nb_v2,) = set(versions) - set(nb_v1)
        assert nb_v2.startswith("2026-05-01.")
        stored = await h.scalar(select(PrivacyNotice.text).where(PrivacyNotice.version == nb_v2))
        assert "nytt personvernombud" in stored
        assert f"Versjon {nb_v2}" in (await h.client.get("/privacy")).text
        # Each consent record points to the version in force when it was given: the request
        # to the old text, its confirmation (whose page showed the new one) to the new.
        assert (await confirm(h, "kari@example.no")).status_code == 200
        ledger = await h.ledger()
        assert [(r.action, r.privacy_version) for r in ledger] == [
            (ConsentAction.REQUESTED, nb_v1[0]),
            (ConsentAction.CONFIRMED, nb_v2),
        ]
        hashes = [
            await h.scalar(select(PrivacyNotice.sha256).where(PrivacyNotice.version == version))
            for version in (nb_v1[0], nb_v2)
        ]
        assert [r.privacy_hash for r in ledger] == hashes


def test_check_config_refuses_a_notice_without_a_controller_or_a_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _write(tmp_path / "notice")
    monkeypatch.setenv("VARSEL_PRIVACY_NOTICE_DIR", str(folder))
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    fine = runner.invoke(varsel_cli, ["check-config"])
    assert fine.exit_code == 0, fine.output
    assert "the privacy notice is valid: nb 2026-05-01." in fine.output
    for line, missing in (
        ("controller: Kommunen, Rådhusgata 1, 0001 Oslo\n", "controller"),
        ("contact: personvern@kommunen.example\n", "contact"),
    ):
        text = NOTICE.format(language="nn").replace(line, "")
        (folder / "nn.md").write_text(text, encoding="utf-8")
        refused = runner.invoke(varsel_cli, ["check-config"])
        assert refused.exit_code == 2
        assert f"VARSEL_PRIVACY_NOTICE_DIR: the privacy notice {folder / 'nn.md'}" in refused.output
        assert f"does not name {missing}" in refused.output


@pytest.mark.parametrize(
    ("privacy_url", "footer"),
    [
        # An organisation's own page is linked as given, as the mails link it: its site need
        # not take ?lang=. Varsel's own path opens in the page's language.
        ("https://www.fhi.no/personvern", 'href="https://www.fhi.no/personvern"'),
        ("/privacy", 'href="/privacy?lang=en"'),
    ],
)
async def test_pages_link_an_organisations_privacy_page_as_given(
    sqlite_url: str, tmp_path: Path, privacy_url: str, footer: str
) -> None:
    address = "kari.nordmann@example.no"
    async with running(sqlite_url, tmp_path, privacy_url=privacy_url) as h:
        await sign_up(h.client, address, lang="en")
        token = await h.confirm_token(address)
        confirm_page = await h.client.get(f"/confirm/{token}?lang=en")
        await confirm(h, address)
        manage_page = await h.client.get(f"/manage/{await h.link_token(address, 'manage')}?lang=en")
        unsubscribe = await h.link_token(address, "unsubscribe")
        unsubscribe_page = await h.client.get(f"/unsubscribe/{unsubscribe}?lang=en")
        action, erase = form_with(unsubscribe_page.text, "erase")
        pages = {
            "index": await h.client.get("/?lang=en"),
            "subscribe": await h.client.get("/subscribe/norge-i-verden?lang=en"),
            "confirm": confirm_page,
            "manage": manage_page,
            "unsubscribe": unsubscribe_page,
            "erased": await h.client.post(action, data=erase),
        }
        for name, page in pages.items():
            assert page.status_code == 200, (name, page.text)
            assert footer in page.text, name
            assert "personvern?lang" not in page.text, name
        # The notice's version a page names is varsel's own text, the one the ledger records.
        for name in ("confirm", "manage", "unsubscribe"):
            assert 'href="/privacy?lang=en">Version' in pages[name].text, name
