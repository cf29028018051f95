"""Every command the image, compose and Kubernetes give `varsel` is one the real CLI accepts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from deploy_support import DEPLOY, SERVICES, need_module


def _parse(argv: list[str]) -> dict[str, Any]:
    """Parse argv with the real `varsel` command line (nothing is run); return the parameters."""
    typer = need_module("typer", "typer")
    cli = need_module("varsel.cli", "varsel (pip install -e .)")
    group = typer.main.get_command(cli.app)
    parent = group.context_class(group, info_name="varsel")
    name, *rest = argv
    command = group.get_command(parent, name)
    assert command is not None, f"varsel has no command {name!r}"
    context = command.make_context(name, list(rest), parent=parent)
    return dict(context.params)


def _dockerfile_argv() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    return list(json.loads(cmd))


def _all_argvs(
    compose: dict[str, Any], manifests: list[tuple[str, dict[str, Any]]]
) -> list[list[str]]:
    argvs = [_dockerfile_argv()]
    argvs += [
        s["command"] for s in compose["services"].values() if s.get("image") == "varsel:local"
    ]
    for _, doc in manifests:
        if doc["kind"] in {"Deployment", "Job"}:
            argvs += [c["args"] for c in doc["spec"]["template"]["spec"]["containers"]]
    return argvs


def test_every_command_is_accepted_by_the_cli(
    compose: dict[str, Any], manifests: list[tuple[str, dict[str, Any]]]
) -> None:
    argvs = _all_argvs(compose, manifests)
    assert len(argvs) == 1 + 2 * (1 + len(SERVICES))  # the image; migrate and the services, twice
    app = need_module("varsel.app", "varsel (pip install -e .)")
    for argv in argvs:
        params = _parse(argv)
        if argv[0] == "run":
            assert params["host"] == "0.0.0.0" and params["port"] == 8000, argv
            assert params["service"] is None or params["service"] in app.SERVICES, argv


def test_the_image_defaults_to_embedded_mode() -> None:
    assert _parse(_dockerfile_argv())["service"] is None


def test_the_cli_check_is_not_vacuous() -> None:
    with pytest.raises(Exception, match="--hots"):
        _parse(["run", "watcher", "--hots", "0.0.0.0"])
    with pytest.raises(Exception):  # noqa: B017 - the CLI library's own usage error
        _parse(["run", "watcher", "--port", "eight-thousand"])


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_name_is_one_the_application_runs(service: str) -> None:
    app = need_module("varsel.app", "varsel (pip install -e .)")
    assert service in app.SERVICES
