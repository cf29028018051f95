"""VARSEL_PRIVACY_URL, the link every page's footer and every mail gives to the privacy policy,
is an http(s) URL or a path on varsel's own site: anything else is refused at start-up.

Before, any text was taken, ``javascript:`` included, and went into the href of every page.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shared.settings import Settings
from varsel.cli import app as cli


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/privacy",  # another host, without saying so
        "ftp://www.fhi.no/personvern",
        "https:///personvern",
        "https://[varsel/personvern",
        "personvern",
        "/privacy page",
        '/privacy" onmouseover="alert(1)',
        "/privacy?lang=en",  # pages add ?lang= of their own
        "https://www.fhi.no/personvern#top",
    ],
)
def test_a_privacy_url_that_is_no_http_link_or_path_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match=r"must be an http\(s\) URL or a path on this site"):
        Settings(privacy_url=value)


def test_varsel_check_config_names_a_javascript_privacy_url_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VARSEL_PRIVACY_URL", "javascript:alert(document.cookie)")
    answer = CliRunner().invoke(cli, ["check-config"])
    assert (answer.exit_code, answer.output.strip()) == (
        2,
        "varsel: invalid setting VARSEL_PRIVACY_URL: must be an http(s) URL or a path on this "
        "site, without spaces, ? or #, such as https://www.fhi.no/personvern or /privacy",
    )


@pytest.mark.parametrize(
    ("value", "in_mails"),
    [
        ("/privacy", "https://varsel.fhi.no/privacy"),
        ("/om/personvern", "https://varsel.fhi.no/om/personvern"),
        ("https://www.fhi.no/om/personvern/", "https://www.fhi.no/om/personvern/"),
        ("http://intranett.fhi.no/personvern", "http://intranett.fhi.no/personvern"),
        ("", "https://varsel.fhi.no/privacy"),  # nothing keeps the default, as for paths
    ],
)
def test_a_privacy_url_or_path_is_taken_and_mails_link_to_it_whole(
    value: str, in_mails: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mails put the site's address before it: an organisation's own page became
    # «https://varsel.fhi.nohttps://www.fhi.no/…».
    monkeypatch.setenv("VARSEL_PRIVACY_URL", value)
    monkeypatch.setenv("VARSEL_BASE_URL", "https://varsel.fhi.no")
    assert CliRunner().invoke(cli, ["check-config"]).exit_code == 0
    assert Settings().resolved_privacy_url == in_mails
