"""WebSub in the watcher's loop: ask hubs for subscriptions, compare what they push.

The hub's calls (verification, pushes) reach the public app (entrypoints/hub_callback.py),
which records them; the watcher takes the pushed bodies from there, so a push is compared by
whichever watcher runs, through the same parse and decision as a polled body (ADR 0013).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from services.watcher.adapters.hub_client import HubClient
from services.watcher.adapters.hub_rows import (
    claim_requests,
    drop_push,
    pushed_bodies,
    record_request,
)
from services.watcher.adapters.source_rows import load_claim
from services.watcher.body_reading import parse_body, read_as_before
from services.watcher.domain.model import ContentError
from services.watcher.domain.outcome import Answer, OutcomeKind
from services.watcher.domain.websub import callback_reachable
from services.watcher.handlers import WatcherDeps, settle

log = logging.getLogger(__name__)

CALLBACK_PATH = "/websub"


@dataclass(frozen=True, slots=True)
class HubSettings:
    """Where hubs call back, and for how long varsel asks them to push."""

    base_url: str
    allow_loopback_callback: bool  # VARSEL_WEBSUB_LOOPBACK_CALLBACK_FOR_TESTS_ONLY
    lease_seconds: int

    @property
    def enabled(self) -> bool:
        """Tell whether a hub could reach varsel's callbacks at all."""
        return callback_reachable(self.base_url, allow_loopback=self.allow_loopback_callback)

    def callback(self, callback_id: str) -> str:
        """Return the callback URL of one subscription."""
        return f"{self.base_url.rstrip('/')}{CALLBACK_PATH}/{callback_id}"


async def request_subscriptions(
    deps: WatcherDeps, client: HubClient, hubs: HubSettings, limit: int = 20
) -> int:
    """Ask hubs for the subscriptions due a request (new, renewals, retries); return how many."""
    if not hubs.enabled:
        return 0
    async with deps.sessions() as session, session.begin():
        requests = await claim_requests(
            session, deps.clock.now(), limit=limit, skip_locked=not deps.sqlite
        )
    for request in requests:
        error = await client.subscribe(
            hub=request.hub_url,
            topic=request.topic_url,
            callback=hubs.callback(request.callback_id),
            secret=request.secret,
            lease_seconds=hubs.lease_seconds,
        )
        if error is None:
            log.info(
                "websub: asked %s to %s source %d",
                request.hub_url,
                "renew" if request.renewing else "push",
                request.source_id,
            )
        else:
            log.warning(
                "websub: hub %s refused source %d (%s); polling at the normal pace",
                request.hub_url,
                request.source_id,
                error,
            )
        async with deps.sessions() as session, session.begin():
            await record_request(session, request, error, deps.clock.now())
    return len(requests)


async def take_pushes(deps: WatcherDeps, limit: int = 20) -> list[OutcomeKind]:
    """Compare the bodies hubs pushed as a poll compares a new body; return what each came to."""
    async with deps.sessions() as session:
        pushes = await pushed_bodies(session, limit)
    kinds: list[OutcomeKind] = []
    for push in pushes:
        source = None
        if push.watched:  # a paused or removed source tells nobody, pushed or polled
            async with deps.sessions() as session:
                source = await load_claim(session, push.source_id)
        if source is not None:
            try:
                content = await parse_body(deps.worker, source, push.body, push.content_type)
            except ContentError as exc:
                # A hub's odd body is no failure of the source: polling still tells.
                log.warning(
                    "websub: push for source %d has no usable content: %s", push.source_id, exc
                )
            else:
                answer = Answer(
                    body_hash=hashlib.sha256(push.body).hexdigest(),
                    # The validators stay those of the last poll: they describe what was
                    # fetched, and the push says nothing of it.
                    etag=source.etag,
                    last_modified=source.last_modified,
                    content=content,
                    earlier=await read_as_before(
                        deps.worker, source, push.body, push.content_type, content
                    ),
                    pushed=True,
                )
                kind = await settle(deps, source, answer)
                if kind is not None:  # a push holds no lease: it is always stored
                    kinds.append(kind)
        # Dropped once compared: compared twice (a replica, a crash), it is unchanged the
        # second time, so nobody hears of it twice.
        async with deps.sessions() as session, session.begin():
            await drop_push(session, push.id)
    return kinds
