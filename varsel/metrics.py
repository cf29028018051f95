"""Prometheus metrics read from the database at scrape time.

Counting in the database rather than in process memory keeps the figures right however many
replicas run and across restarts: every replica reports the same totals, so scrape one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from ipaddress import IPv6Address, ip_address, ip_network

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.read_api import mail_counts_per_kind
from services.watcher.read_api import source_poll_lag, source_status_counts
from shared.ip_addresses import carried_ipv4
from shared.outbox import backlog


def may_read_metrics(client: str | None, networks: Collection[str]) -> bool:
    """Tell whether a client may read the metrics: one in ``networks``, or, none named, any
    that is not on the public internet.

    The mail counts move with each mail: whoever reads them just after asking for a manage link
    learns whether the address gets alerts. The proxies of compose and Kubernetes hide
    /metrics; a process serving the internet itself (the embedded mode) must too. A client the
    server names none of (a Unix socket) is a local one. A client named but no IP address
    (what a trusted proxy passed on from X-Forwarded-For: ``unknown``, an obfuscated name, or
    anything a client wrote there) cannot be placed in any network: it is refused, as one on
    the public internet is.
    """
    if client is None:
        return True
    try:
        address = ip_address(client)
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and (carried := carried_ipv4(address)) is not None:
        address = carried
    if networks:
        return any(address in ip_network(network) for network in networks)
    return not address.is_global


async def render_metrics(
    session: AsyncSession | None,
    now: datetime,
    *,
    dead_letters: int | None = None,
    smtp_unreachable_for: float | None = None,
    smtp_connections: int | None = None,
    broker_reachable: bool | None = None,
) -> bytes:
    """Return the metrics in the Prometheus text format.

    ``dead_letters`` is the broker's dead-letter count; left out when the bus keeps none or the
    broker did not answer, so an alert on it never fires on a made-up zero.
    ``smtp_unreachable_for`` is how long this process's mailer has reached no SMTP server (0
    while it does); left out where no mailer runs. Unlike the rest it is this process's own;
    so is ``smtp_connections``, how many SMTP connections its mailer will use at once (its
    pool, or the relay's cap learned in the last five minutes; left out where it writes files).
    ``broker_reachable`` is whether RabbitMQ answered this process just now; left out where
    no broker is used (the embedded mode). Readiness stays 200 without it on every service but
    the mailer (varsel/readiness.py), so this gauge is what alerts on a broker that is away.
    ``session`` is None while the database cannot be reached: the figures read from it are left
    out and ``varsel_database_reachable`` is 0, and this process's own gauges are served all
    the same (the whole answer was a 503, and they went missing just when they matter).
    """
    registry = CollectorRegistry()
    Gauge(
        "varsel_database_reachable",
        "Whether the database answered this scrape (1) or not (0); while it does not, the "
        "figures read from it are left out",
        registry=registry,
    ).set(0 if session is None else 1)
    if session is not None:
        await _database_figures(registry, session, now)
    if dead_letters is not None:
        Gauge(
            "varsel_dead_letters",
            "Events consumers gave up on, waiting in the broker's dead-letter queues",
            registry=registry,
        ).set(dead_letters)
    if smtp_unreachable_for is not None:
        Gauge(
            "varsel_smtp_unreachable_seconds",
            "How long this process's mailer has reached no SMTP server and held its mails "
            "(0 while the server answers)",
            registry=registry,
        ).set(smtp_unreachable_for)
    if smtp_connections is not None:
        Gauge(
            "varsel_smtp_connections",
            "SMTP connections this process's mailer will use at once: VARSEL_MAIL_CONCURRENCY, "
            "or, for five minutes after the relay turned one away, the number it took then "
            "(ADR 0025); not the connections open now",
            registry=registry,
        ).set(smtp_connections)
    if broker_reachable is not None:
        Gauge(
            "varsel_broker_reachable",
            "Whether RabbitMQ answered this process just now (1) or not (0); while it does not, "
            "events wait in the outbox",
            registry=registry,
        ).set(1 if broker_reachable else 0)
    return generate_latest(registry)


async def _database_figures(
    registry: CollectorRegistry, session: AsyncSession, now: datetime
) -> None:
    """Add the gauges read from the database to ``registry``."""
    deliveries = Gauge(
        "varsel_mail_deliveries",
        "Mails in the delivery ledger by kind and status",
        ["kind", "status"],
        registry=registry,
    )
    for mails in await mail_counts_per_kind(session):
        deliveries.labels(mails.kind, mails.status).set(mails.count)
    sources = Gauge("varsel_sources", "Watched sources by status", ["status"], registry=registry)
    for status, count in (await source_status_counts(session)).items():
        sources.labels(status).set(count)
    Gauge(
        "varsel_sources_poll_lag_seconds",
        "How long the active source due a poll the longest has waited for it (0 when none is "
        "due): a few seconds while polls keep up; growing while a site has more sources than "
        "its VARSEL_PER_HOST_CONCURRENCY turns serve, or no watcher polls",
        registry=registry,
    ).set(await source_poll_lag(session, now))
    unpublished, oldest = await backlog(session)
    Gauge("varsel_outbox_pending", "Events written but not yet published", registry=registry).set(
        unpublished
    )
    lag = Gauge(
        "varsel_outbox_lag_seconds", "Age of the oldest unpublished event", registry=registry
    )
    if oldest is not None:
        # min() keeps the column's type, so the value comes back as an aware UTC time.
        lag.set((now - oldest).total_seconds())
