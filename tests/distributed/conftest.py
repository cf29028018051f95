"""Fixtures of the distributed tier: the watched site, the SMTP server and the topology."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.distributed.topology import Plan, Topology, publish_pages, seed, write_catalogue
from tests.support.broker import BROKER_URL, delete_topology
from tests.support.private_servers import (
    PrivatePostgres,
    PrivateRabbitMq,
    postgres_binaries_available,
    rabbitmq_binaries_available,
)
from tests.support.services import reachable, require
from tests.support.site import FixtureSite
from tests.support.smtp import SmtpServer

BuildTopology = Callable[..., Topology]


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    served.start()
    yield served
    served.stop()


@pytest.fixture
def build_topology(tmp_path: Path, site: FixtureSite, smtp: SmtpServer) -> Iterator[BuildTopology]:
    """Seed a database with a plan, serve its pages, and start the six processes."""
    built: list[Topology] = []

    def build(
        plan: Plan, database_url: str, broker_url: str, env: dict[str, str] | None = None
    ) -> Topology:
        write_catalogue(plan, site.base_url, tmp_path / "varsel.toml")
        publish_pages(site, plan, changed=False)
        asyncio.run(seed(database_url, plan))
        topology = Topology(
            tmp_path, plan, database_url, broker_url, site, smtp, extra_env=env or {}
        )
        built.append(topology)
        topology.start()
        return topology

    yield build
    for topology in built:
        topology.stop_all()
        if topology.broker_url == BROKER_URL:  # a private broker goes with its files
            asyncio.run(asyncio.wait_for(delete_topology(BROKER_URL, topology.namespace), 30))


@pytest.fixture
def shared_broker_url() -> str:
    """Return the machine's RabbitMQ (each topology uses its own namespace on it)."""
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    return BROKER_URL


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this module's own, which its tests may restart."""
    require(postgres_binaries_available(), "PostgreSQL server binaries (initdb, pg_ctl)")
    server = PrivatePostgres()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def private_rabbitmq() -> Iterator[PrivateRabbitMq]:
    """A RabbitMQ node of this module's own, which its tests may stop and start."""
    require(rabbitmq_binaries_available(), "RabbitMQ server (rabbitmq-server, rabbitmqctl)")
    node = PrivateRabbitMq()
    node.start()
    yield node
    node.destroy()
