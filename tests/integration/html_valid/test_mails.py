"""Every mail's HTML part is valid HTML."""

from __future__ import annotations

import pytest

from tests.integration.html_valid.mails import MAILS
from tests.support.html_checker import Problem


@pytest.mark.parametrize("name", MAILS)
def test_every_mail_is_valid_html(problems: dict[str, list[Problem]], name: str) -> None:
    assert problems[name] == [], "\n".join(str(p) for p in problems[name])
