"""Every code the consent ledger and the audit log record has words for the staff pages.

The audit log's codes are written where each action happens; this test reads the code that
writes them, so an action added without words fails here rather than showing its code to a
data-protection officer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from services.admin import bulletins
from services.admin.entrypoints.action_wording import (
    AUDIT_ACTIONS,
    FREQUENCIES,
    LEDGER_ACTIONS,
    LEDGER_CHANNELS,
)
from services.mailer.domain.review import ChangeStatus, Decision, status_after
from services.subscriptions import read_api
from services.subscriptions.handlers.organisation import OrganisationAction
from shared.vocabulary import Frequency
from tests.support.words import ROOT

# The calls that append to the audit log (``audit_log.record`` and ``record_repeated``, an
# ``Actor``'s ``record``, the command line's ``audit_command``), and where they name the action
# if not by keyword.
_WRITERS = {
    "audit_log.record": 1,
    "audit_log.record_repeated": 1,
    "actor.record": 1,
    "self.record": 1,
    "audit_command": 1,
}
# Where the action is computed, and every code it can be.
_COMPUTED = {
    ("services/admin/entrypoints/desk_pages.py", "f'change_{decided.status.value}'"): {
        f"change_{status_after(ChangeStatus.WAITING, d).value}" for d in Decision
    },
    ("services/admin/entrypoints/erasure_pages.py", "f'organisation_{action.value}'"): {
        f"organisation_{a.value}" for a in OrganisationAction
    },
    ("services/admin/entrypoints/organisation_cli.py", "f'organisation_{action.value}'"): {
        f"organisation_{a.value}" for a in OrganisationAction
    },
    ("services/admin/entrypoints/bulletin_pages.py", "bulletins.SENT"): {bulletins.SENT},
    ("services/admin/entrypoints/bulletin_pages.py", "bulletins.TESTED"): {bulletins.TESTED},
    # The helpers that pass their caller's code on, and _set_disabled's choice.
    ("services/admin/entrypoints/cli.py", "action"): {"user_disabled", "user_enabled"},
    ("services/admin/entrypoints/command_io.py", "action"): set(),
    # A refused sign-in's entry, each one or counted into the hour's (ADR 0028).
    ("services/admin/authentication.py", "action"): {"login_failed", "login_limited"},
    # The export's entry, made once its output is complete or has failed.
    ("services/admin/entrypoints/ledger_cli.py", "action"): {
        "ledger_export",
        "ledger_export_failed",
    },
    ("services/admin/entrypoints/access.py", "action"): set(),
}


def _audit_codes() -> Iterator[tuple[str, str]]:
    """Yield (where, code) for every action code the services write to the audit log."""
    for path in sorted((ROOT / "services").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name not in _WRITERS:
                continue
            named = {k.arg: k.value for k in node.keywords}
            position = _WRITERS[name]
            action = named.get("action") or (
                node.args[position] if len(node.args) > position else None
            )
            assert action is not None, f"{where}: {name} without an action"
            literals = [
                n.value
                for n in ast.walk(action)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            if isinstance(action, ast.Constant | ast.IfExp) and literals:
                yield from ((where, code) for code in literals)
                continue
            key = (where, ast.unparse(action))
            assert key in _COMPUTED, f"{where}: an audit action computed as {key[1]}: list it"
            yield from ((where, code) for code in _COMPUTED[key])


def test_every_audit_action_has_words() -> None:
    codes = set(_audit_codes())
    assert len({code for _, code in codes}) > 30, "the scan found too few: has the code moved?"
    missing = sorted((where, code) for where, code in codes if code not in AUDIT_ACTIONS)
    assert missing == []


def test_every_step_of_the_ledger_has_words() -> None:
    assert set(LEDGER_ACTIONS) == {str(action) for action in read_api.LEDGER_ACTIONS}


def test_every_channel_and_frequency_of_the_ledger_has_words() -> None:
    assert set(LEDGER_CHANNELS) == {str(channel) for channel in read_api.LEDGER_CHANNELS}
    assert set(FREQUENCIES) == {str(frequency) for frequency in Frequency}


def test_the_words_say_something_else_than_the_code() -> None:
    for words in (LEDGER_ACTIONS, LEDGER_CHANNELS, FREQUENCIES, AUDIT_ACTIONS):
        assert all(text != code and text[:1].isupper() for code, text in words.items())


def test_the_scan_reads_the_writers() -> None:
    # A guard on the guard: the known writers are found where they are.
    found = {where for where, _ in _audit_codes()}
    assert "services/admin/authentication.py" in found
    assert "services/admin/entrypoints/consent_pages.py" in found
