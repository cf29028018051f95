"""VARSEL_OPERATOR_EMAILS, who is told when a source starts failing and when it recovers, holds
addresses mail can reach, by the rules a subscriber's and a staff account's address meet.

Before, anything with an @ was taken (``a@b``, ``a@[127.0.0.1]``, ``åse@example.no`` with a
relay that takes no such address), and no notice to it arrived.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shared.settings import Settings
from varsel.cli import app as cli


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("a@b", 1),
        ("a@localhost", 1),
        ("a@[127.0.0.1]", 1),
        ("a@exa_mple.com", 1),
        ("drift@helsedir.no,@helsedir.no", 2),
        ("drift@helsedir.no,, vakt@helsedir_no", 2),  # a blank entry is no address
    ],
)
def test_an_operator_address_no_mail_can_reach_is_refused_by_its_place(
    value: str, number: int
) -> None:
    with pytest.raises(ValidationError, match=f"address {number} is none mail can be sent to"):
        Settings(operator_emails=value)


def test_the_refusal_never_repeats_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARSEL_OPERATOR_EMAILS", "drift@helsedir.no,vakt@helsedir_no")
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 2
    assert "address 2 is none mail can be sent to" in answer.output
    assert "vakt" not in answer.output and "drift" not in answer.output


def test_letters_before_the_at_are_refused_unless_the_relay_takes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VARSEL_OPERATOR_EMAILS", "drift@helsedir.no, åse@helsedir.no")
    refused = CliRunner().invoke(cli, ["check-config"])
    assert refused.exit_code == 2
    assert "VARSEL_OPERATOR_EMAILS: address 2 has letters such as æ, ø or å" in refused.output
    assert "VARSEL_SMTP_UTF8 is off" in refused.output
    monkeypatch.setenv("VARSEL_SMTP_UTF8", "true")
    assert CliRunner().invoke(cli, ["check-config"]).exit_code == 0
    assert Settings().operator_emails == ("drift@helsedir.no", "åse@helsedir.no")


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("drift@helsedir.no", ("drift@helsedir.no",)),
        (
            "Drift@Helsedir.NO, vakt@bærum.kommune.no",
            ("Drift@Helsedir.NO", "vakt@bærum.kommune.no"),
        ),
        ("", ()),
    ],
)
def test_addresses_mail_can_reach_are_taken_as_written(value: str, kept: tuple[str, ...]) -> None:
    assert Settings(operator_emails=value).operator_emails == kept
