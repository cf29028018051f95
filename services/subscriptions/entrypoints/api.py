"""JSON API behind the same journeys as the pages: sign up, confirm, manage, unsubscribe, erase.

No CSRF token here, on purpose: a cross-site page can only send a JSON body with
``Content-Type: application/json`` after a CORS preflight, and varsel enables no CORS, so the
browser never sends it. Every body route below requires that content type (FastAPI rejects other
types for a model body), and the answers never reveal whether an address is known.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions import handlers
from services.subscriptions.adapters.tables import Subscriber
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.domain.model import SignupForm
from services.subscriptions.domain.texts import text
from services.subscriptions.entrypoints.web import Web, client_of, wake_outbox
from shared.db import transaction
from shared.vocabulary import DEFAULT_LANGUAGE, Frequency, Language

Token = Annotated[str, Path(max_length=200, description="The token from a link in a mail.")]
Slug = Annotated[str, Field(min_length=1, max_length=100)]

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])

_LINK_INVALID = "This link is not valid, has expired or was already used."


class Problem(BaseModel):
    """What went wrong, in words a person can act on."""

    detail: str


class SignupIn(BaseModel):
    """A sign-up: an address, the topics and one frequency for all alerts."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, examples=["kari.nordmann@example.no"])
    topics: list[Slug] = Field(min_length=1, max_length=20, examples=[["norge-i-verden"]])
    frequency: Frequency = Frequency.IMMEDIATE
    language: Language = DEFAULT_LANGUAGE


class Accepted(BaseModel):
    """A neutral answer: the same whether or not the address is known."""

    status: Literal["accepted"] = "accepted"
    detail: str


class ManageLinkIn(BaseModel):
    """A request for a fresh manage link."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    language: Language = DEFAULT_LANGUAGE


class TopicOut(BaseModel):
    """A topic people can subscribe to."""

    slug: str
    title: dict[str, str]
    page: str | None
    related: list[str]


class Confirmed(BaseModel):
    """What a confirmation did, and the token that manages the alerts from now on."""

    topics: list[str]
    manage_token: str


class Preferences(BaseModel):
    """A person's topics, frequency and language."""

    model_config = ConfigDict(extra="forbid")

    topics: list[Slug] = Field(max_length=100)
    frequency: Frequency
    language: Language


class UnsubscribeIn(BaseModel):
    """Which topics to end; none given ends every alert."""

    model_config = ConfigDict(extra="forbid")

    topics: list[Slug] | None = Field(default=None, max_length=100)


class Unsubscribed(BaseModel):
    """The topics whose alerts ended."""

    ended: list[str]


class Erased(BaseModel):
    """What erasure deleted and what is kept, and why."""

    deleted: str
    kept: str


def _unknown_topics(web: Web, topics: list[str]) -> None:
    unknown = sorted(set(topics) - web.deps.catalogue.slugs)
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"unknown topic(s): {', '.join(unknown)}"
        )


def _address(raw: str, language: str) -> str:
    try:
        return normalise_address(raw)
    except InvalidAddress as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=text(language, exc.reason)
        ) from exc


def _too_many(language: str) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=text(language, "rate_limited_body"),
        headers={"Retry-After": "3600"},
    )


@router.get("/topics", response_model=list[TopicOut])
async def list_topics(web: Web) -> list[TopicOut]:
    """List the topics people can subscribe to."""
    return [
        TopicOut(slug=t.slug, title=dict(t.title), page=t.page, related=list(t.related))
        for t in web.deps.catalogue.topics
    ]


@router.post(
    "/subscriptions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={429: {"model": Problem}, 422: {"model": Problem}},
)
async def sign_up(body: SignupIn, request: Request, web: Web) -> Accepted:
    """Ask for alerts; a confirmation mail goes out if the address can receive them."""
    address = _address(body.email, body.language)
    _unknown_topics(web, body.topics)
    form = SignupForm(
        address=address,
        topics=tuple(dict.fromkeys(body.topics)),
        frequency=body.frequency,
        language=body.language,
        page=None,
        channel="api",
    )
    if not await web.sign_up(form, client_of(request)):
        raise _too_many(body.language)
    wake_outbox(request)
    days = str(web.deps.settings.confirm_ttl_days)
    return Accepted(detail=text(body.language, "check_email_body", days=days))


@router.post(
    "/manage-links",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={429: {"model": Problem}, 422: {"model": Problem}},
)
async def request_manage_link(body: ManageLinkIn, request: Request, web: Web) -> Accepted:
    """Mail a fresh manage link if the address gets alerts; answer the same either way."""
    address = _address(body.email, body.language)
    if not await web.within_limits("manage", address, client_of(request)):
        raise _too_many(body.language)
    async with transaction(web.sessions) as session:
        await handlers.request_manage_link(session, web.deps, address)
    wake_outbox(request)
    return Accepted(detail=text(body.language, "manage_link_sent"))


@router.post(
    "/confirmations/{token}", response_model=Confirmed, responses={404: {"model": Problem}}
)
async def confirm(token: Token, request: Request, web: Web) -> Confirmed:
    """Confirm a sign-up (double opt-in) with the token from the confirmation mail."""
    async with transaction(web.sessions) as session:
        outcome = await handlers.confirm(session, web.deps, token)
    if outcome is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
    wake_outbox(request)
    manage = web.deps.signer.sign("manage", outcome.subscriber_id, web.deps.clock.now())
    return Confirmed(topics=list(outcome.topics), manage_token=manage)


@router.get("/preferences/{token}", response_model=Preferences, responses={404: {"model": Problem}})
async def read_preferences(token: Token, web: Web) -> Preferences:
    """Return a person's topics, frequency and language (manage token)."""
    async with web.sessions() as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "manage", token)
        if subscriber is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
        return await _preferences(session, subscriber)


async def _preferences(session: AsyncSession, subscriber: Subscriber) -> Preferences:
    current = await handlers.open_topics(session, subscriber.id)
    return Preferences(
        topics=sorted(current),
        frequency=Frequency(subscriber.frequency),
        language=Language.of(subscriber.language),
    )


@router.put(
    "/preferences/{token}",
    response_model=Preferences,
    responses={404: {"model": Problem}, 422: {"model": Problem}},
)
async def write_preferences(
    token: Token, body: Preferences, request: Request, web: Web
) -> Preferences:
    """Set a person's topics, frequency and language (manage token)."""
    _unknown_topics(web, body.topics)
    async with transaction(web.sessions) as session:
        subscriber = await handlers.subscriber_for(session, web.deps, "manage", token)
        if subscriber is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
        await handlers.update_preferences(
            session,
            web.deps,
            subscriber,
            topics=body.topics,
            frequency=body.frequency,
            language=body.language,
            channel="api",
        )
        answer = await _preferences(session, subscriber)
    wake_outbox(request)
    return answer


async def _holder(session: AsyncSession, web: Web, token: str) -> Subscriber:
    """Return the person an unsubscribe (or manage) token names, or answer 404."""
    purposes: tuple[Literal["unsubscribe", "manage"], ...] = ("unsubscribe", "manage")
    for purpose in purposes:
        subscriber = await handlers.subscriber_for(session, web.deps, purpose, token)
        if subscriber is not None:
            return subscriber
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)


@router.post(
    "/unsubscribe/{token}",
    response_model=Unsubscribed,
    responses={404: {"model": Problem}, 422: {"model": Problem}},
)
async def unsubscribe(
    token: Token, request: Request, web: Web, body: UnsubscribeIn | None = None
) -> Unsubscribed:
    """End alerts about some topics, or all of them (unsubscribe or manage token)."""
    topics = body.topics if body is not None else None
    if topics is not None:
        _unknown_topics(web, topics)
    async with transaction(web.sessions) as session:
        subscriber = await _holder(session, web, token)
        ended = await handlers.unsubscribe(
            session, web.deps, subscriber, topics=topics, route="link", channel="api"
        )
    wake_outbox(request)
    return Unsubscribed(ended=list(ended))


@router.delete("/subscribers/{token}", response_model=Erased, responses={404: {"model": Problem}})
async def erase(token: Token, request: Request, web: Web) -> Erased:
    """End every alert and delete the address (unsubscribe or manage token)."""
    async with transaction(web.sessions) as session:
        subscriber = await _holder(session, web, token)
        language = subscriber.language
        await handlers.erase(session, web.deps, subscriber, route="link", channel="api")
    wake_outbox(request)
    return Erased(deleted=text(language, "erased_body"), kept=text(language, "erased_kept"))


def install_api(app: FastAPI) -> None:
    """Mount the JSON API (needs the pages' context that ``bootstrap.install`` sets)."""
    app.include_router(router)
