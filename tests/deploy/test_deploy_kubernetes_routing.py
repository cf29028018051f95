"""deploy/kubernetes: the two Ingresses route every public page to the public service, and
every staff page only through the internal one (checked against the routes the app serves)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy_support import DEPLOY, need_module

Kinds = Callable[[str], list[dict[str, Any]]]

# Sample values for the path parameters of the application's routes.
SAMPLES = {
    "{slug}": "norge-i-verden",
    "{token}": "t0ken",
    "{version}": "1",
    "{language}": "nb",
    "{source_id}": "1",
    "{kind}": "alert",
    "{callback_id}": "c4llback",
    "{change_id}": "00000000-0000-4000-8000-000000000000",
    "{raw_id}": "1",
}
# Served on every process, for probes and Prometheus inside the cluster only.
INTERNAL = ("/healthz", "/readyz", "/metrics")


def _served_paths(services: tuple[str, ...], tmp_path: Path) -> set[str]:
    """Return a concrete path for every route the application serves for these services."""
    runtime_module = need_module("shared.runtime", "varsel (pip install -e .)")
    settings_module = need_module("shared.settings", "varsel (pip install -e .)")
    app_module = need_module("varsel.app", "varsel (pip install -e .)")
    settings = settings_module.Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",  # never connected to
        config=DEPLOY / "varsel.example.toml",
        var_dir=tmp_path,
    )
    app = app_module.create_app(runtime_module.build_runtime(settings), services)
    paths: set[str] = set()
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # an included router (FastAPI >= 0.165)
            paths |= {c.path or c.original_route.path for c in route.effective_route_contexts()}
        elif getattr(route, "name", None) == "static":
            paths.add(f"{route.path}/varsel.css")
        else:
            paths.add(route.path)
    for placeholder, value in SAMPLES.items():
        paths = {path.replace(placeholder, value) for path in paths}
    assert not [p for p in paths if "{" in p], "a path parameter without a sample value"
    return paths - {"/redoc", "/docs/oauth2-redirect"}


def _routes(ingress: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (path, path type, backend service) for every path of an Ingress."""
    return [
        (p["path"], p["pathType"], p["backend"]["service"]["name"])
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]


def _routed(ingress: dict[str, Any], path: str) -> str | None:
    """Return the service an Ingress sends a request path to (Kubernetes' matching), if any."""
    matches = [
        (len(prefix), backend)
        for prefix, kind, backend in _routes(ingress)
        if path == prefix or (kind == "Prefix" and path.startswith(prefix.rstrip("/") + "/"))
    ]
    return max(matches)[1] if matches else None


def _ingress(kinds: Kinds, name: str) -> dict[str, Any]:
    (found,) = [i for i in kinds("Ingress") if i["metadata"]["name"] == name]
    return found


def test_the_public_ingress_routes_every_public_page_and_no_staff_path(
    kinds: Kinds, tmp_path: Path
) -> None:
    public = _ingress(kinds, "varsel-public")
    assert {backend for _, _, backend in _routes(public)} == {"varsel-subscriptions"}
    pages = _served_paths(("subscriptions",), tmp_path) - set(INTERNAL)
    assert "/subscribe/norge-i-verden" in pages and "/api/v1/topics" in pages
    assert {p: _routed(public, p) for p in pages} == dict.fromkeys(pages, "varsel-subscriptions")
    staff = _served_paths(("admin",), tmp_path) - pages - set(INTERNAL) - {"/openapi.json", "/docs"}
    assert "/admin/login" in staff and "/api/v1/admin/audit" in staff
    assert {p: _routed(public, p) for p in [*staff, *INTERNAL]} == dict.fromkeys(
        [*staff, *INTERNAL]
    )


def test_the_admin_is_reached_only_through_the_internal_ingress(
    kinds: Kinds, tmp_path: Path
) -> None:
    internal = _ingress(kinds, "varsel-admin")
    public = _ingress(kinds, "varsel-public")
    assert internal["spec"]["ingressClassName"] != public["spec"]["ingressClassName"]
    assert internal["spec"]["rules"][0]["host"] != public["spec"]["rules"][0]["host"]
    routing_to_admin = [
        i["metadata"]["name"]
        for i in kinds("Ingress")
        if "varsel-admin" in {backend for _, _, backend in _routes(i)}
    ]
    assert routing_to_admin == ["varsel-admin"]
    # Everything the admin serves, its API's documentation included, on the internal host.
    staff = _served_paths(("admin",), tmp_path) - set(INTERNAL)
    assert {"/docs", "/docs/start.js", "/openapi.json"} <= staff
    assert {p: _routed(internal, p) for p in staff} == dict.fromkeys(staff, "varsel-admin")
