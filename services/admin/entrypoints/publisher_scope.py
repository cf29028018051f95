"""A publisher token opens only its own sites (ADR 0024): the refusal, worded and audited.

A push is judged by the address it names, a check by the source's address as the catalogue
has it; neither by where a page redirects. A check's refusal reads the same whether the source
is another site's or there is no such source: a token leaked from one body's CMS learns nothing
of which pages another body has varsel watch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fastapi.responses import JSONResponse

from services.admin.adapters import audit_log
from services.admin.domain.publisher_sites import covers, site_of
from services.admin.entrypoints.access import Admin
from services.watcher import read_api as watcher_reads
from shared.db import transaction
from shared.web.validation import excerpt

# A push's ``url`` whose host is no host name is on no site: a 400 on the field, not a 403.
NO_HOST: Final = (
    "names no valid host: a host name (labels of letters, digits and hyphens) or an IP address "
    "written in full, with a port from 1 to 65535 if any"
)


def _listed(sites: Sequence[str]) -> str:
    return ", ".join(sites)


def push_refused(url: str, sites: Sequence[str]) -> str:
    """Word why a push for a page outside a token's sites is refused."""
    return (
        f"the page is on {excerpt(site_of(url) or url)}, which is not one of this token's sites "
        f"({_listed(sites)}): a publisher token pushes changes only for pages on the sites it "
        "was issued for. Ask the varsel operator for a token for that site, or for one that "
        "names it too."
    )


def check_refused(number: int, sites: Sequence[str]) -> str:
    """Word why a check is refused, alike for another site's source and for none at all."""
    return (
        f"source {number} is not a source on this token's sites ({_listed(sites)}), or there "
        "is no such source: a publisher token asks checks only of sources on the sites it was "
        "issued for. Check the number with the varsel operator."
    )


async def check_allowed(admin: Admin, sites: Sequence[str] | None, number: int) -> bool:
    """Tell whether a token may ask a check of a source (False also when there is none)."""
    if sites is None:
        return True  # issued before sites: the route's own 404 and 409 answer as before
    async with transaction(admin.runtime.sessions) as session:
        address = await watcher_reads.source_address(session, number)
    return address is not None and covers(sites, address)


async def refused_for_site(
    admin: Admin, actor: str, client: str, sites: Sequence[str], target: str, detail: str
) -> JSONResponse:
    """Record a request refused for its site in the audit log, and answer it 403."""
    now = admin.runtime.clock.now()
    async with transaction(admin.runtime.sessions) as session:
        audit_log.record(
            session,
            actor=actor,
            action="publisher_scope_refused",
            client=client,
            now=now,
            target=target,  # its email addresses kept as «[address]» (audit_log.record)
            details={"sites": list(sites)},
        )
    return JSONResponse({"detail": detail, "token_sites": list(sites)}, 403)
