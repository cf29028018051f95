"""deploy/compose.yaml: valid against the Compose Specification schema, and wired as intended."""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from importlib import resources
from typing import Any

import pytest
from deploy_support import (
    BOUNCE_SMTP_PORT,
    DEPLOY,
    REPLICATED,
    REPO,
    SERVICES,
    need_module,
    read_env_file,
)
from healthcheck_server import run_probe, serving

BACKENDS = ("postgres", "rabbitmq", "mailpit")


def _compose_errors(document: dict[str, Any]) -> list[str]:
    """Validate against the compose-spec schema that check-jsonschema vendors (no download)."""
    need_module("check_jsonschema", "check-jsonschema")
    jsonschema = need_module("jsonschema", "jsonschema")
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_compose_file_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    assert _compose_errors(compose) == []


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("services", "watcher", "deploy", "replicas"), [2]),
        (("services", "mailer", "depends_on", "migrate", "condition"), "service_finished"),
        (("services", "subscriptions", "helthcheck"), {"test": ["CMD", "true"]}),
    ],
)
def test_schema_check_is_not_vacuous(
    compose: dict[str, Any], path: tuple[str, ...], bad: object
) -> None:
    broken = copy.deepcopy(compose)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    assert _compose_errors(broken), f"the schema accepted {path} = {bad!r}"


def test_runs_the_expected_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {*BACKENDS, "migrate", *SERVICES, "proxy"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


@pytest.mark.parametrize("name", REPLICATED)
def test_each_service_runs_two_replicas_of_its_role(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["deploy"]["replicas"] == 2
    assert service["command"] == ["run", name, "--host", "0.0.0.0", "--port", "8000"]
    assert service["image"] == compose["services"]["migrate"]["image"]
    # A replicated service can neither have a fixed container name nor publish a fixed port.
    assert "container_name" not in service
    assert "ports" not in service


def test_the_bounce_listener_takes_reports_on_the_internal_network_only(
    compose: dict[str, Any],
) -> None:
    bounces = compose["services"]["bounces"]
    assert bounces["expose"] == [str(BOUNCE_SMTP_PORT)]
    assert "networks" not in bounces, "not on the public proxy's network"
    settings = read_env_file(DEPLOY / "varsel.env.example")
    assert settings["VARSEL_BOUNCE_SMTP_PORT"] == str(BOUNCE_SMTP_PORT)
    assert settings["VARSEL_BOUNCE_SMTP_HOST"] == "0.0.0.0"
    assert settings["VARSEL_BOUNCE_ADDRESS"].startswith("bounces@")


def test_the_admin_runs_once_on_this_hosts_loopback_only(compose: dict[str, Any]) -> None:
    admin = compose["services"]["admin"]
    assert admin["command"] == ["run", "admin", "--host", "0.0.0.0", "--port", "8000"]
    assert admin["image"] == compose["services"]["migrate"]["image"]
    assert admin.get("deploy", {}).get("replicas", 1) == 1, "a fixed host port allows one"
    assert admin["ports"] == ["127.0.0.1:${ADMIN_PORT:-8001}:8000"]
    assert read_env_file(DEPLOY / "varsel.env.example")["VARSEL_ADMIN_URL"] == (
        "http://127.0.0.1:8001/admin"
    )


def test_the_public_proxy_cannot_reach_the_admin(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services["proxy"]["networks"]) == {"public"}
    on_public = {name for name, s in services.items() if "public" in s.get("networks", [])}
    assert on_public == {"proxy", "subscriptions"}
    # Everyone else, the admin included, is on the default network only.
    assert "networks" not in services["admin"]
    assert set(services["subscriptions"]["networks"]) == {"default", "public"}


def test_varsel_believes_forwarded_headers_from_the_public_proxy_only(
    compose: dict[str, Any],
) -> None:
    proxy = compose["services"]["proxy"]["networks"]["public"]["ipv4_address"]
    (subnet,) = compose["networks"]["public"]["ipam"]["config"]
    assert ipaddress.ip_address(proxy) in ipaddress.ip_network(subnet["subnet"])
    trusted = read_env_file(DEPLOY / "varsel.env.example")["VARSEL_TRUSTED_PROXIES"]
    assert trusted == proxy


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_waits_for_migrations_and_healthy_backends(
    compose: dict[str, Any], name: str
) -> None:
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["rabbitmq"]["condition"] == "service_healthy"
    if name == "mailer":
        assert depends_on["mailpit"]["condition"] == "service_healthy"


def test_migrate_is_a_one_shot_after_postgres(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no", "a restarting one-shot never 'completes successfully'"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "deploy" not in migrate


def test_every_dependency_condition_can_be_met(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), (
                    f"{name} waits for {target} to be healthy, but {target} has no health check"
                )
            if rule["condition"] == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no"


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened_and_stop_gracefully(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["read_only"] is True
    assert {"/tmp", "/app/var"} <= set(service["tmpfs"])
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    seconds = int(re.fullmatch(r"(\d+)s", service["stop_grace_period"]).group(1))  # type: ignore[union-attr]
    assert seconds >= 30


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_service_healthcheck_follows_readyz(
    compose: dict[str, Any], status: int, healthy: bool
) -> None:
    argv = compose["services"]["subscriptions"]["healthcheck"]["test"]
    assert argv[0] == "CMD"
    with serving({"/readyz": status, "/healthz": 200}) as port:
        assert (run_probe(argv[1:], port) == 0) is healthy


def test_build_context_env_files_and_mounts_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == REPO, "the build context must be the repository root"
            assert (context / service["build"]["dockerfile"]).is_file()
        for entry in service.get("env_file", []):
            if entry.get("required", True):
                assert (DEPLOY / entry["path"]).is_file(), f"{name}: missing {entry['path']}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name}: bind mount {source} does not exist"


def test_catalogue_is_mounted_where_varsel_config_points(compose: dict[str, Any]) -> None:
    settings = read_env_file(DEPLOY / "varsel.env.example")
    target = settings["VARSEL_CONFIG"]
    for name in ("migrate", *SERVICES):
        mounts = compose["services"][name]["volumes"]
        assert f"./varsel.example.toml:{target}:ro" in mounts


def test_service_urls_point_at_the_compose_backends(compose: dict[str, Any]) -> None:
    environment = compose["services"]["subscriptions"]["environment"]
    database = environment["VARSEL_DATABASE_URL"]
    assert database.startswith("postgresql+asyncpg://varsel:") and "@postgres:5432/" in database
    broker = environment["VARSEL_BROKER_URL"]
    assert broker.startswith("amqp://varsel:") and "@rabbitmq:5672/" in broker
    # guest/guest would be refused: RabbitMQ admits the guest user from localhost only.
    assert compose["services"]["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] != "guest"
    assert read_env_file(DEPLOY / "varsel.env.example")["VARSEL_SMTP_URL"] == "smtp://mailpit:1025"


def test_only_the_proxy_publishes_a_port_beyond_this_host(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["ports"] == ["${HTTP_PORT:-8000}:80"]
    assert proxy["depends_on"]["subscriptions"]["condition"] == "service_healthy"
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            if name != "proxy":
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"
