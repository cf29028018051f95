"""JSON API behind the same journeys as the pages: sign up, confirm, manage, unsubscribe, erase.

No CSRF token here, on purpose: a cross-site page can only send a JSON body with
``Content-Type: application/json`` after a CORS preflight, and varsel enables no CORS, so the
browser never sends it. Every body route below requires that content type (FastAPI rejects other
types for a model body), and the answers never reveal whether an address is known.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.subscriptions import handlers
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.domain.consent import api_page
from services.subscriptions.domain.model import Preferences as PersonsPreferences
from services.subscriptions.domain.model import SignupForm
from services.subscriptions.domain.vocabulary import Channel, UnsubscribeRoute
from services.subscriptions.entrypoints.web import Web, client_of
from services.subscriptions.entrypoints.wording import (
    ADDRESS_PROBLEMS,
    CHECK_EMAIL,
    ERASED_BODY,
    ERASED_KEPT,
    MANAGE_LINK_SENT,
    rate_limited,
)
from services.subscriptions.handlers import EITHER_LINK
from shared.vocabulary import DEFAULT_LANGUAGE, Frequency, Language
from shared.web import rate_limit
from shared.web.validation import excerpt

Token = Annotated[str, Path(max_length=200, description="The token from a link in a mail.")]
Slug = Annotated[str, Field(min_length=1, max_length=100)]

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])

_LINK_INVALID = "This link is not valid, has expired or was already used."
_ALREADY_CONFIRMED = (
    "This sign-up is already confirmed; nothing more was done. The manage token was in the "
    "answer to the first confirmation, and every alert mail has a manage link."
)
_UNDELIVERABLE = (
    "Email to this address could not be delivered, so its alerts were stopped; nothing was "
    "changed. Sign up again (POST /api/v1/subscriptions) and confirm from the mailbox to get "
    "alerts again."
)
_CONFIRMED_THEN_ENDED = (
    "This sign-up was confirmed before, and its alerts have been ended since; nothing was done. "
    "No alerts are sent now: sign up again (POST /api/v1/subscriptions) to get them."
)


class Problem(BaseModel):
    """What went wrong, in words a person can act on."""

    detail: str


class Retired(BaseModel):
    """Topics that have ended: no longer offered, with nothing done (as the publisher API)."""

    detail: str
    retired_topics: list[str]


class TopicsRetired(Exception):
    """Raised to answer 410 with the ended topics a request named."""

    def __init__(self, detail: str, retired_topics: list[str]) -> None:
        super().__init__(detail)
        self.answer = Retired(detail=detail, retired_topics=retired_topics)


async def _retired(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TopicsRetired)
    return JSONResponse(exc.answer.model_dump(), status.HTTP_410_GONE)


_ENDED: dict[str, Any] = {
    "model": Retired,
    "description": "a topic that has ended (`retired_topics`); an unknown one is a 422",
}


class SignupIn(BaseModel):
    """A sign-up: an address, the topics and one frequency for all alerts."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, examples=["kari.nordmann@example.no"])
    topics: list[Slug] = Field(min_length=1, max_length=20, examples=[["norge-i-verden"]])
    frequency: Frequency = Frequency.IMMEDIATE
    language: Language = DEFAULT_LANGUAGE
    client: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description=(
            "The integration that collected the sign-up, as the operator names it in "
            "VARSEL_API_CLIENTS; required when that list is set. The consent ledger records it "
            "as where the sign-up was given."
        ),
        examples=["fhi-app"],
    )


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
    catalogue = web.deps.catalogue
    unknown = sorted(set(topics) - catalogue.slugs)
    ended = [t for t in unknown if catalogue.ended_topic(t) is not None]
    # An ended topic is no longer offered, not unknown: 410 naming it, as the publisher API
    # and the pages answer. Counted and clipped as every 422 clips what it shows
    # (docs/security.md): a hundred long made-up slugs must not come back whole.
    if ended:
        raise TopicsRetired(
            detail=f"{len(ended)} topic(s) ended: {excerpt(', '.join(ended))}",
            retired_topics=[excerpt(t) for t in ended],
        )
    if unknown:
        shown = excerpt(", ".join(unknown))
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"{len(unknown)} unknown topic(s): {shown}",
        )


def _client_page(web: Web, client: str | None) -> str:
    """Return where an API sign-up was given, if the integration is one the operator knows."""
    known = web.deps.settings.api_clients
    if (known and client is None) or (client is not None and client not in known):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="client: name an integration listed in VARSEL_API_CLIENTS"
            if known
            else "client: no integration is listed in VARSEL_API_CLIENTS; leave client out",
        )
    return api_page(client)


def _address(web: Web, raw: str, language: Language) -> str:
    try:
        return normalise_address(raw, non_ascii_local=web.deps.settings.smtp_utf8)
    except InvalidAddress as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=web.words[language].gettext(ADDRESS_PROBLEMS[exc.reason]),
        ) from exc


async def _too_many(
    web: Web, language: Language, kind: str, address: str, request: Request
) -> HTTPException:
    until = await handlers.retry_at(web.uow(), web.deps, kind, address, client_of(request))
    retry_after = rate_limit.retry_after(web.deps.clock.now(), until)
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=rate_limited(web.words[language], retry_after),
        headers={"Retry-After": retry_after},
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
    responses={429: {"model": Problem}, 422: {"model": Problem}, 410: _ENDED},
)
async def sign_up(body: SignupIn, request: Request, web: Web) -> Accepted:
    """Ask for alerts; a confirmation mail goes out if the address can receive them."""
    address = _address(web, body.email, body.language)
    _unknown_topics(web, body.topics)
    form = SignupForm(
        address=address,
        topics=tuple(dict.fromkeys(body.topics)),
        frequency=body.frequency,
        language=body.language,
        page=_client_page(web, body.client),
        channel=Channel.API,
    )
    if not await handlers.sign_up(web.uow(), web.deps, form, client_of(request)):
        raise await _too_many(web, body.language, "signup", address, request)
    days = str(web.deps.settings.confirm_ttl_days)
    return Accepted(detail=web.words[body.language].gettext(CHECK_EMAIL, days=days))


@router.post(
    "/manage-links",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={429: {"model": Problem}, 422: {"model": Problem}},
)
async def request_manage_link(body: ManageLinkIn, request: Request, web: Web) -> Accepted:
    """Mail a fresh manage link if the address gets alerts; answer the same either way."""
    address = _address(web, body.email, body.language)
    if not await handlers.request_manage_link(web.uow(), web.deps, address, client_of(request)):
        raise await _too_many(web, body.language, "manage", address, request)
    return Accepted(detail=web.words[body.language].gettext(MANAGE_LINK_SENT))


@router.post(
    "/confirmations/{token}",
    response_model=Confirmed,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 410: {"model": Problem}},
)
async def confirm(token: Token, web: Web) -> Confirmed:
    """Confirm a sign-up (double opt-in) with the token from the confirmation mail; 409 if it
    was confirmed already (a retry; no second manage token is handed out, and nothing more is
    recorded); 410 if every topic it names has ended since (nothing is confirmed), as the
    confirm page says."""
    outcome = await handlers.confirm(web.uow(), web.deps, token)
    if isinstance(outcome, handlers.AlreadyConfirmed):
        detail = _ALREADY_CONFIRMED if outcome.alerts else _CONFIRMED_THEN_ENDED
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)
    if isinstance(outcome, handlers.TopicsEnded):
        raise HTTPException(
            status.HTTP_410_GONE,
            detail=f"Every topic of this sign-up has ended; nothing was confirmed: "
            f"{', '.join(outcome.topics)}",
        )
    if not isinstance(outcome, handlers.Confirmed):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
    manage = web.deps.signer.sign("manage", outcome.subscriber_id, web.deps.clock.now())
    return Confirmed(topics=list(outcome.topics), manage_token=manage)


def _answer(person: PersonsPreferences | None) -> Preferences:
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
    return Preferences(
        topics=list(person.topics), frequency=person.frequency, language=person.language
    )


@router.get("/preferences/{token}", response_model=Preferences, responses={404: {"model": Problem}})
async def read_preferences(token: Token, web: Web) -> Preferences:
    """Return a person's topics, frequency and language (manage token)."""
    return _answer(await handlers.preferences(web.uow(), web.deps, token))


@router.put(
    "/preferences/{token}",
    response_model=Preferences,
    responses={
        404: {"model": Problem},
        409: {"model": Problem},
        410: _ENDED,
        422: {"model": Problem},
    },
)
async def write_preferences(token: Token, body: Preferences, web: Web) -> Preferences:
    """Set a person's topics, frequency and language (manage token); 409 if mail to the
    address bounced until its alerts stopped (nothing is changed: sign up again)."""
    _unknown_topics(web, body.topics)
    saved = await handlers.update_preferences(
        web.uow(),
        web.deps,
        token,
        topics=body.topics,
        frequency=body.frequency,
        language=body.language,
        channel=Channel.API,
    )
    # Only a page names the notice it showed, and what it showed the person had: the API's
    # changes are under the one in force, made to what the person has now.
    assert not isinstance(saved, handlers.NoticeNotShown | handlers.ChangedMeanwhile)
    if saved is not None and saved.undeliverable:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=_UNDELIVERABLE)
    return _answer(saved)


@router.post(
    "/unsubscribe/{token}",
    response_model=Unsubscribed,
    responses={404: {"model": Problem}, 410: _ENDED, 422: {"model": Problem}},
)
async def unsubscribe(token: Token, web: Web, body: UnsubscribeIn | None = None) -> Unsubscribed:
    """End alerts about some topics, or all of them (unsubscribe or manage token)."""
    topics = body.topics if body is not None else None
    if topics is not None:
        _unknown_topics(web, topics)
    ended = await handlers.unsubscribe(
        web.uow(),
        web.deps,
        token,
        purposes=EITHER_LINK,
        topics=topics,
        route=UnsubscribeRoute.LINK,
        channel=Channel.API,
    )
    if ended is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
    return Unsubscribed(ended=list(ended.topics))


@router.delete("/subscribers/{token}", response_model=Erased, responses={404: {"model": Problem}})
async def erase(token: Token, web: Web) -> Erased:
    """End every alert and delete the address (unsubscribe or manage token)."""
    ended = await handlers.erase(
        web.uow(),
        web.deps,
        token,
        purposes=EITHER_LINK,
        route=UnsubscribeRoute.LINK,
        channel=Channel.API,
    )
    if ended is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_LINK_INVALID)
    words = web.words[ended.language]
    return Erased(deleted=words.gettext(ERASED_BODY), kept=words.gettext(ERASED_KEPT))


def install_api(app: FastAPI) -> None:
    """Mount the JSON API (needs the pages' context that ``bootstrap.install`` sets)."""
    app.include_router(router)
    app.add_exception_handler(TopicsRetired, _retired)
