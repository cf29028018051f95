"""Fixtures for the offline checks of deploy/ (helpers live in deploy_support.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from deploy_support import DEPLOY, KUBERNETES, load_yaml_documents


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prove the checks are offline: any attempt to open a network connection fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address)
        raise AssertionError(f"deploy tests must stay offline; tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """deploy/compose.yaml, parsed."""
    (document,) = load_yaml_documents(DEPLOY / "compose.yaml")
    return document


@pytest.fixture(scope="session")
def manifests() -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object in deploy/kubernetes/*.yaml except the kustomization itself."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        found.extend((path.name, doc) for doc in load_yaml_documents(path))
    return found


@pytest.fixture(scope="session")
def kustomization() -> dict[str, Any]:
    """deploy/kubernetes/kustomization.yaml, parsed."""
    (document,) = load_yaml_documents(KUBERNETES / "kustomization.yaml")
    return document


@pytest.fixture(scope="session")
def kinds(manifests: list[tuple[str, dict[str, Any]]]) -> Callable[[str], list[dict[str, Any]]]:
    """Look up the manifests of one kind."""

    def of_kind(kind: str) -> list[dict[str, Any]]:
        return [doc for _, doc in manifests if doc["kind"] == kind]

    return of_kind
