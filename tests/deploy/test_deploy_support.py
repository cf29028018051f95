"""The skip-or-fail rule for missing validators: skip on a laptop, fail in CI."""

from __future__ import annotations

import pytest
from deploy_support import need_binary, need_module


def test_a_missing_validator_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="pip install no-such-validator"):
        need_module("no_such_validator", "no-such-validator")
    with pytest.raises(pytest.skip.Exception, match="no-such-program"):
        need_binary("no-such-program", "install it")


def test_a_missing_validator_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        need_module("no_such_validator", "no-such-validator")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        need_binary("no-such-program", "install it")
