"""The WebSub callback a hub calls: verification (GET) and content distribution (POST).

Served by the public app, the only part of varsel a hub on the internet can reach (ADR 0013).
It records what the hub says; the watcher's loop compares pushed bodies (services/watcher/
websub.py). Log lines name the source by id: a callback URL is a secret of sorts.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.hub_rows import (
    pushed_before,
    record_denial,
    record_verification,
    remember_push,
    source_watched,
    store_push,
    subscription_at,
)
from services.watcher.domain.websub import (
    LEASE_SECONDS,
    MAX_LEASE_SECONDS,
    PUSHES_PER_HOUR,
    SubscriptionState,
    signature_valid,
    verification_answer,
)
from services.watcher.websub import CALLBACK_PATH
from shared.clock import Clock
from shared.web import rate_limit

log = logging.getLogger(__name__)

# A hub may grant a lease of any length; one under a minute would be renewed all the time.
MIN_LEASE_SECONDS = 60
_TEXT = "text/plain; charset=utf-8"


def install(app: FastAPI, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Mount the callback route on the public app."""
    app.include_router(_router(sessions, clock))


def _router(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(CALLBACK_PATH + "/{callback_id}")
    async def verify(
        callback_id: str,
        mode: Annotated[str, Query(alias="hub.mode")] = "",
        topic: Annotated[str, Query(alias="hub.topic")] = "",
        challenge: Annotated[str, Query(alias="hub.challenge", max_length=1000)] = "",
        lease_seconds: Annotated[int | None, Query(alias="hub.lease_seconds", ge=0)] = None,
    ) -> Response:
        async with sessions() as session, session.begin():
            row = await subscription_at(session, callback_id)
            if row is None:
                log.warning("websub: verification for an unknown callback refused")
                return PlainTextResponse("no such subscription", 404, media_type=_TEXT)
            if mode == "denied" and topic == row.topic_url:
                log.warning("websub: hub %s denied source %d", row.hub_url, row.source_id)
                await record_denial(session, row, clock.now())
                return PlainTextResponse("noted", 200, media_type=_TEXT)
            state = SubscriptionState(row.state)
            if not challenge or not verification_answer(
                state=state, topic=topic, mode=mode, asked_topic=row.topic_url
            ):
                log.warning(
                    "websub: %s verification for source %d refused: not what varsel asked for",
                    mode or "a",
                    row.source_id,
                )
                return PlainTextResponse("not asked for", 404, media_type=_TEXT)
            lease = min(max(lease_seconds or LEASE_SECONDS, MIN_LEASE_SECONDS), MAX_LEASE_SECONDS)
            await record_verification(session, row, timedelta(seconds=lease), clock.now())
            log.info("websub: hub %s pushes source %d for %d s", row.hub_url, row.source_id, lease)
        return PlainTextResponse(challenge, 200, media_type=_TEXT)

    @router.post(CALLBACK_PATH + "/{callback_id}")
    async def distribute(callback_id: str, request: Request) -> Response:
        body = await request.body()
        now = clock.now()
        async with sessions() as session, session.begin():
            row = await subscription_at(session, callback_id)
            if row is None:
                log.warning("websub: push to an unknown callback refused")
                return PlainTextResponse("no such subscription", 404, media_type=_TEXT)
            if row.lease_until is None or row.lease_until <= now:
                log.warning("websub: push for source %d refused: no lease", row.source_id)
                return PlainTextResponse("no active subscription", 410, media_type=_TEXT)
            if not await source_watched(session, row.source_id):
                # 410 tells the hub to stop: the feed is paused or out of the catalogue.
                log.info("websub: push for source %d refused: not watched", row.source_id)
                return PlainTextResponse("no longer watched", 410, media_type=_TEXT)
            if not signature_valid(row.secret, body, request.headers.get("x-hub-signature")):
                log.warning(
                    "websub: push for source %d refused: X-Hub-Signature missing or wrong; "
                    "nothing changed",
                    row.source_id,
                )
                return PlainTextResponse(
                    "X-Hub-Signature missing or not valid for this body", 403, media_type=_TEXT
                )
            # Signed once, a push is valid for as long as the secret: anyone who saw it could
            # send it again, an old version of the feed to be taken for news. A body taken
            # before is answered as any push (a hub retrying must stop) and not taken again.
            digest = hashlib.sha256(body).hexdigest()
            if await pushed_before(session, row, digest):
                log.info(
                    "websub: push for source %d repeats a body already taken (a hub's retry "
                    "or a replay); nothing changed",
                    row.source_id,
                )
                return Response(status_code=202)
            key = f"websub-push:{row.source_id}"
            if not await rate_limit.allow(session, key, PUSHES_PER_HOUR, now):
                log.warning(
                    "websub: push for source %d refused: more than %d this hour; polling "
                    "still reads the feed",
                    row.source_id,
                    PUSHES_PER_HOUR,
                )
                return PlainTextResponse(
                    "too many pushes for this feed this hour",
                    429,
                    media_type=_TEXT,
                    headers={"Retry-After": rate_limit.retry_after(now)},
                )
            if await remember_push(session, row, digest, now):
                await store_push(session, row, body, request.headers.get("content-type"), now)
        return Response(status_code=202)

    return router
