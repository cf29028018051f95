"""VARSEL_BASE_URL: start-up takes exactly the addresses every mail's links can be built on."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.mail_templates import build_environment
from shared.settings import Settings
from varsel.cli import app as cli

REFUSED = [
    "http://127.0.0.1:8744/ ",  # a space copied with the address
    " https://varsel.example.no",
    "https://varsel.example.no?x#y",
    "https://varsel.example.no/?x",
    "https://varsel.example.no#top",
    "https://drift:hunter2@varsel.example.no",
    "https://varsel.example.no:99999",
    "https://varsel.example.no:0",
    "https://varsel.example.no:abc",
    "https://varsel.eksempel.no/nyhetsvarsel/søk",
    "https://varsel.example.no/a b",
    'https://varsel.example.no/"x"',
    "https://",
]
TAKEN = [
    "https://varsel.example.no",
    "HTTPS://Varsel.example.no/",
    "http://127.0.0.1:8744/",
    "https://www.fhi.no/varsel",
    "http://[::1]:8000",
    "https://xn--vrsel-qra.example.no",
]


@pytest.mark.parametrize("value", REFUSED)
def test_a_base_url_no_mail_link_can_be_built_on_stops_start_up_naming_it(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, `check-config` and start-up took these, /readyz said 200, and every mail failed
    # for good as it was built («base_url must be an absolute http(s) URL»).
    monkeypatch.setenv("VARSEL_BASE_URL", value)
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 2, answer.output
    assert "Traceback" not in answer.output
    assert "VARSEL_BASE_URL: must be an absolute http(s) URL" in answer.output, answer.output
    assert "hunter2" not in answer.output


@pytest.mark.parametrize("value", TAKEN)
def test_a_base_url_start_up_takes_builds_every_mail(value: str) -> None:
    # The mailer checks the links built on it by the same rule (shared.mail_links).
    base = Settings(base_url=value).base_url
    mail = render_confirm(
        build_environment(),
        language="nb",
        confirm_url=f"{base}/confirm/token",
        topics=["Vaksiner"],
        frequency="daily",
        expires_days=7,
        sender="varsel@example.no",
        base_url=base,
    )
    assert mail.subject  # built: the mailer took every link on it


@pytest.mark.parametrize("field", ["base_url", "admin_url"])
def test_the_admin_address_follows_the_same_rule(field: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        Settings(**{field: "https://varsel.example.no/admin?x"})
