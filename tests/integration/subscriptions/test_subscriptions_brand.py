"""The organisation's look: its logo and accent served by varsel, on pages and in mails."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from typer.testing import CliRunner

from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.mail_templates import build_environment
from shared.brand import Brand
from varsel.cli import app as cli

from .harness import TOPIC, running

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brand"


async def test_pages_show_the_logo_and_accent_served_by_varsel(
    sqlite_url: str, tmp_path: Path
) -> None:
    logo = FIXTURES / "logo.svg"
    async with running(sqlite_url, tmp_path, logo=logo, accent_colour="#A4001D") as h:
        page = await h.client.get(f"/subscribe/{TOPIC}")
        header = page.text.split("</header>")[0]
        assert '<img class="logo" src="/brand/logo.svg" alt="">' in header
        assert '<link rel="stylesheet" href="/brand/brand.css">' in page.text
        css = await h.client.get("/brand/brand.css")
        assert css.status_code == 200
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        assert css.text == ":root { --accent: #a4001d; --accent-dark: #6b0013; }\n"
        served = await h.client.get("/brand/logo.svg")
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/svg+xml"
        assert served.content == logo.read_bytes()
        assert "default-src 'none'" in served.headers["content-security-policy"]
        again = await h.client.get(
            "/brand/logo.svg", headers={"If-None-Match": served.headers["etag"]}
        )
        assert again.status_code == 304
        assert (await h.client.get("/brand/logo.png")).status_code == 404


async def test_without_a_logo_there_is_no_logo(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        page = await h.client.get("/")
        assert 'class="logo"' not in page.text
        assert (await h.client.get("/brand/logo.svg")).status_code == 404
        css = await h.client.get("/brand/brand.css")
        assert "--accent: #004f9f;" in css.text


def test_the_mail_header_carries_the_accent_and_logo() -> None:
    mail = render_confirm(
        build_environment(),
        language="nb",
        confirm_url="https://varsel.fhi.no/confirm/c1.YWJj",
        topics=["Norge i verden"],
        frequency="daily",
        expires_days=7,
        sender="FHI <varsel@fhi.no>",
        base_url="https://varsel.fhi.no",
        site_name="Folkehelseinstituttet",
        brand=Brand(accent="#a4001d", logo_path="/brand/logo.png"),
    )
    raw = mail.personalise(
        to="kari@example.no", links=None, message_id="<1@fhi.no>", date=datetime.now(UTC)
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    html = str(part.get_content())
    assert "background-color:#a4001d" in html
    assert '<img src="https://varsel.fhi.no/brand/logo.png" alt=""' in html


def test_check_config_refuses_a_pale_accent_naming_the_ratio(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VARSEL_VAR_DIR": str(tmp_path), "VARSEL_ACCENT_COLOUR": "#8a8a8a"}
    refused = runner.invoke(cli, ["check-config"], env=env)
    assert refused.exit_code == 2
    assert "VARSEL_ACCENT_COLOUR" in refused.output
    assert "3.45:1" in refused.output
    assert "4.5:1" in refused.output
    env["VARSEL_ACCENT_COLOUR"] = "#767676"
    env["VARSEL_LOGO"] = str(FIXTURES / "logo.png")
    accepted = runner.invoke(cli, ["check-config"], env=env)
    assert accepted.exit_code == 0, accepted.output
