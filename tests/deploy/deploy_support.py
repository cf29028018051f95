"""Paths, loaders and the skip-or-fail rule shared by the offline checks of deploy/.

A validator that is not installed skips its test on a developer's machine and fails it in CI
(CI=true), so a missing test dependency can never turn the CI run green by skipping.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCS = REPO / "docs" / "deployment.md"

SERVICES = ("subscriptions", "watcher", "mailer", "admin", "bounces")
# The services compose runs two of; the admin runs once there, on this host's loopback only.
REPLICATED = ("subscriptions", "watcher", "mailer", "bounces")
# The port the bounce listener takes reports on, inside the deployment's network.
BOUNCE_SMTP_PORT = 2525
# What a distributed deployment sets, between its settings file and its secret.
DEPLOYED_SETTINGS = frozenset(
    {
        "VARSEL_DATABASE_URL",
        "VARSEL_BROKER_URL",
        "VARSEL_SMTP_URL",
        "VARSEL_BASE_URL",
        "VARSEL_ADMIN_URL",
        "VARSEL_SECRET_KEY",
        "VARSEL_ENVIRONMENT",
        "VARSEL_CONFIG",
        "VARSEL_MAIL_FROM",
        "VARSEL_TIMEZONE",
        "VARSEL_LOG_FORMAT",
        "VARSEL_TRUSTED_PROXIES",
        "VARSEL_BOUNCE_ADDRESS",
        # Shorter than its default, to end before the Kubernetes startup probe gives up.
        "VARSEL_BROKER_WAIT_SECONDS",
    }
)
# Every name the product reads: a name in deploy/ that is not here is a typo nobody would notice.
KNOWN_SETTINGS = frozenset(f"VARSEL_{name.upper()}" for name in Settings.model_fields)


def missing(what: str, how: str) -> NoReturn:
    """Skip the test because a validator is missing, or fail it when running in CI."""
    message = f"{what} is not available ({how}); the deploy/ check that needs it cannot run"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}. CI=true, so this is a failure, not a skip.")
    pytest.skip(message)


def need_module(name: str, pip_name: str) -> ModuleType:
    """Import a validator package, or skip/fail the test if it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"Python package {pip_name!r}", f"pip install {pip_name}")


def need_binary(name: str, how: str) -> str:
    """Find a validator program on PATH or beside this interpreter, or skip/fail the test."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        missing(f"program {name!r}", how)
    return found


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document in a file (safe loader; merge keys are resolved)."""
    yaml = need_module("yaml", "pyyaml")
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a KEY=VALUE file the way compose and kustomize read them (no quotes are used)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{number}: not KEY=VALUE: {raw!r}"
        assert key not in values, f"{path.name}:{number}: {key} set twice"
        assert not value.startswith(('"', "'")), (
            f"{path.name}:{number}: quoted value; docker --env-file would keep the quotes"
        )
        values[key] = value
    return values
