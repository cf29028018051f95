"""The publisher API: a CMS pushes a change, or asks for a source to be polled now (ADR 0015).

Served with the staff side (``varsel run admin``), on the internal network, under ``/api/v1``.
Only a publisher token opens it; the change itself is taken in by the watcher's
``command_api``, so the mailer sees the same ``content.changed`` event a poll produces.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.admin import publishing
from services.admin.adapters import audit_log
from services.admin.domain.publisher_sites import covers, site_of
from services.admin.entrypoints.access import Admin, client_of, get_admin
from services.admin.entrypoints.api_problems import Refusal, field_problems, problem, refusal
from services.admin.entrypoints.guard_first import guard_first
from services.admin.entrypoints.json_body import (
    NOT_UTF8,
    NotUtf8,
    RepeatedKey,
    parsed,
    type_refusal,
)
from services.admin.entrypoints.publisher_scope import (
    NO_HOST,
    check_allowed,
    check_refused,
    push_refused,
    refused_for_site,
)
from services.watcher import command_api as watcher
from shared.carried_text import noncharacter_in
from shared.catalogue_addresses import address_refusal
from shared.db import transaction
from shared.page_urls import normal_form, percent_encoded, without_credentials
from shared.web import rate_limit
from shared.web.validation import excerpt

# Declared for the OpenAPI document only; ``publisher`` reads the header itself (ADR 0015).
PUBLISHER_TOKEN: Final = HTTPBearer(
    scheme_name="publisherToken",
    description="a publisher token (`varsel_pub_…`), issued at /admin/publishers",
    auto_error=False,
)

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
KEY_LIMIT: Final = 200
_BEARER: Final = {"WWW-Authenticate": "Bearer"}
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


CHANGES_PATH: Final = "/api/v1/changes"  # the route below, under the router's prefix
TOPICS_LIMIT: Final = 50
URL_LIMIT: Final = 2000
TITLE_LIMIT: Final = 5000
NOTE_LIMIT: Final = 20000
# The limits above count characters, as JSON decodes them; a client may write each character
# as an escape, and one outside the Basic Multilingual Plane as a pair («\ud83d\ude00», 12
# bytes). Under the public 64 KiB a note within its limit was a 413, so this path takes the
# widest body of valid fields: texts at their limits in 12 bytes a character, slugs (ASCII, at
# most 100 characters, as the public API takes them) in 6, and 1 KiB for names, punctuation
# and indentation. A test writes that body and sends it.
CHANGE_BODY_BYTES: Final = (
    12 * (URL_LIMIT + TITLE_LIMIT + NOTE_LIMIT) + TOPICS_LIMIT * (6 * 100 + 3) + 1024
)


def _refuse_noncharacter(value: str) -> None:
    # No page or mail may show a noncharacter, so the mailer leaves it out of what it takes in;
    # the publisher is told, rather than finding their words mailed other than they sent them.
    if (found := noncharacter_in(value)) is not None:
        raise ValueError(
            f"holds {found}, a Unicode noncharacter that no page or mail can show: send it without"
        )


class ChangeBody(BaseModel):
    """A change a CMS publishes: its page, the topics it concerns and what to tell people."""

    # Strict: JSON booleans only. Lax, pydantic took "yes", "on", 1 and "1" for true, and a
    # CMS that sent a string meaning something else had its change taken as minor.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    topics: list[str] = Field(min_length=1, max_length=TOPICS_LIMIT, description="topic slugs")
    url: str = Field(max_length=URL_LIMIT, description="the page that changed (http or https)")
    title: str = Field(
        min_length=1, max_length=TITLE_LIMIT, description="clipped to 500 characters"
    )
    note: str = Field(
        default="", max_length=NOTE_LIMIT, description="the change note; clipped to 2000 characters"
    )
    minor: bool = Field(default=False, description="recorded, but alerts nobody")

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        # What the catalogue refuses in an address, refused here too: the address goes into
        # every follower's alert and the topic's feed. A NUL also fits no PostgreSQL text.
        if _CONTROL.search(value):
            raise ValueError("holds a control character (a NUL, a line break): write it without")
        if refused := address_refusal(value):
            raise ValueError(refused)
        _refuse_noncharacter(value)
        # Stored in one spelling: the feed, the mails and the match with a watched source
        # compare it, and ``HTTPS://`` once made a topic's feed fail for every reader. Encoded
        # as the watcher encodes a link: a space or a quote left in cost the link in every mail.
        encoded = percent_encoded(normal_form(value))
        if len(encoded) > URL_LIMIT:  # the mailer keeps no longer address, and would clip it
            raise ValueError(f"at most {URL_LIMIT} characters once percent-encoded")
        return encoded

    @field_validator("title", "note")
    @classmethod
    def _shown_as_sent(cls, value: str) -> str:
        _refuse_noncharacter(value)
        return value

    @field_validator("topics")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


@dataclass(frozen=True, slots=True)
class Publisher:
    """The publisher token a request came with, by its name, with the sites it may publish
    for (None: every site, a token issued before tokens had sites; ADR 0024)."""

    name: str
    sites: tuple[str, ...] | None
    client: str
    admin: Admin

    @property
    def actor(self) -> str:
        """Return how the audit log names this publisher."""
        return f"publisher:{self.name}"


async def publisher(request: Request) -> Publisher:
    """Admit a request with a live publisher token (401 otherwise), counting it per hour."""
    # Asked before the body is read and again as the route's dependency (guard_first.py):
    # the request is counted once.
    admitted: Publisher | None = getattr(request.state, "publisher", None)
    if admitted is not None:
        return admitted
    admin = get_admin(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    now = admin.runtime.clock.now()
    async with transaction(admin.runtime.sessions) as session:
        presented = (
            await publishing.publisher_of(session, token.strip(), now)
            if scheme.lower() == "bearer"
            else None
        )
        if presented is None:
            raise HTTPException(401, "a live publisher token is required", headers=_BEARER)
        key = hashlib.sha256(f"publisher:{presented.name}".encode()).hexdigest()
        per_hour = admin.runtime.settings.publisher_pushes_per_hour
        within = await rate_limit.allow(session, key, per_hour, now)
    if not within:
        raise HTTPException(
            429,
            f"more than {per_hour} requests this hour with this token",
            headers={"Retry-After": rate_limit.retry_after(now)},
        )
    admitted = Publisher(presented.name, presented.sites, client_of(request), admin)
    request.state.publisher = admitted
    return admitted


PublisherDep = Annotated[Publisher, Depends(publisher)]
router = APIRouter(
    prefix="/api/v1",
    tags=["publishing"],
    dependencies=[Security(PUBLISHER_TOKEN)],
    # 401 and 429 come before any answer about the body (guard_first.py).
    route_class=guard_first(lambda call: call is publisher),
)


async def _outside(who: Publisher, target: str, detail: str) -> JSONResponse:
    """Refuse a request for a page or source not on the token's sites (403), audited."""
    return await refused_for_site(who.admin, who.actor, who.client, who.sites or (), target, detail)


_UNUSABLE: Final = "the change cannot be used"


def _bad_input(errors: list[dict[str, Any]], detail: str = _UNUSABLE) -> JSONResponse:
    return refusal(400, detail, errors)


def _shown(field: str, value: Any) -> Any:
    # An address's password is not sent back, as the catalogue's refusals never name it.
    if field == "url" and isinstance(value, str):
        value = without_credentials(value)
    return excerpt(value)


def _key_problem(key: str | None) -> str | None:
    if not key:
        return f"required: a {IDEMPOTENCY_HEADER} header, the same on every retry of a change"
    if len(key) > KEY_LIMIT or not key.isascii() or not key.isprintable():
        return f"at most {KEY_LIMIT} printable ASCII characters"
    return None


_KEY_PARAMETER: Final = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    # Read from the request rather than declared, so that its absence is a 400 with the other
    # problems of the request, not FastAPI's 422 of another shape; the document says it anyway.
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_LIMIT},
    "description": "one per change, printable ASCII; a retry with the same key sends nothing more",
}
_ANSWERS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "bad input: a reason per field (`errors`)", "model": Refusal},
    401: {"description": "no live publisher token"},
    403: {"description": "a page not on the token's sites (`token_sites`)"},
    410: {"description": "a topic that has ended (`retired_topics`)"},
    415: {"description": "a body whose Content-Type is not application/json, or not UTF-8"},
    422: {"description": "an unknown topic (`unknown_topics`), or a key reused for another change"},
    429: {"description": "too many requests with this token this hour"},
}


@router.post(
    "/changes",  # CHANGES_PATH
    status_code=202,
    responses=_ANSWERS,
    openapi_extra={
        "parameters": [_KEY_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChangeBody.model_json_schema()}},
        },
    },
)
async def push_change(request: Request, who: PublisherDep) -> JSONResponse:
    """Take in a change a CMS published: alert its topics' subscribers, once per key."""
    if (refused := type_refusal(request, _UNUSABLE)) is not None:
        return refused
    idempotency_key = request.headers.get(IDEMPOTENCY_HEADER)
    problems = []
    key_problem = _key_problem(idempotency_key)
    if key_problem:
        problems.append(problem(IDEMPOTENCY_HEADER, key_problem))
    try:
        raw = parsed(await request.body(), request.headers.get("content-type"))
        body = ChangeBody.model_validate(raw)
    except NotUtf8 as exc:
        return refusal(415, f"{exc.said}: {NOT_UTF8}")
    except RepeatedKey as exc:
        repeated = problem(excerpt(exc.key), "given more than once")
        return _bad_input([*problems, repeated])
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        # RecursionError: nested deeper than the parser goes, which no change needs.
        return _bad_input([*problems, problem("body", "not JSON")])
    except ValidationError as exc:  # a ValueError too: named before the next
        return _bad_input([*problems, *field_problems(exc.errors(), _shown)])
    except ValueError:
        # Valid JSON, but Python reads no integer of more than 4,300 digits (CVE-2020-10735);
        # its own message names a setting of the interpreter, which no caller can change.
        reason = "holds a number too long to read (more than 4300 digits)"
        return _bad_input([*problems, problem("body", reason)])
    if problems or idempotency_key is None:
        return _bad_input(problems)
    if who.sites is not None and site_of(body.url) is None:
        # A host that is no host name (``www.fhi.no%2e``) is on no site: a 403 would mislead.
        return _bad_input([problem("url", NO_HOST, _shown("url", body.url))])
    if who.sites is not None and not covers(who.sites, body.url):
        # Before the topics and the key are looked at: a refused push learns nothing more.
        return await _outside(who, body.url, push_refused(body.url, who.sites))
    catalogue = who.admin.runtime.catalogue
    unknown = [t for t in body.topics if catalogue.topic(t) is None]
    ended = [t for t in unknown if catalogue.ended_topic(t) is not None]
    # Counted and clipped, as every 422 clips what it refuses (docs/security.md): fifty long
    # made-up slugs do not come back whole. A real slug is far shorter than an excerpt.
    if ended:
        return JSONResponse(
            {
                "detail": f"{len(ended)} topic(s) ended: {excerpt(', '.join(ended))}",
                "retired_topics": [excerpt(t) for t in ended],
            },
            410,
        )
    if unknown:
        return JSONResponse(
            {
                "detail": f"{len(unknown)} unknown topic(s): {excerpt(', '.join(unknown))}",
                "unknown_topics": [excerpt(t) for t in unknown],
            },
            422,
        )
    push = watcher.Push(tuple(body.topics), body.url, body.title, body.note, body.minor)
    now = who.admin.runtime.clock.now()
    try:
        async with transaction(who.admin.runtime.sessions) as session:
            published = await watcher.publish_change(session, push, idempotency_key, who.name, now)
            audit_log.record(
                session,
                actor=who.actor,
                action="change_pushed",
                client=who.client,
                now=now,
                target=str(published.event_id),
                details={
                    "topics": list(push.topics),
                    "minor": push.minor,
                    "replayed": published.replayed,
                },
            )
    except watcher.KeyReused:
        return JSONResponse(
            {
                "detail": f"this {IDEMPOTENCY_HEADER} was used for a different change; "
                "use a new key for a new change"
            },
            422,
        )
    if not published.replayed:
        who.admin.runtime.relay.wake()
    return JSONResponse(
        {
            "change_id": str(published.event_id),
            "source_id": published.source_id,
            "minor": push.minor,
            "replayed": published.replayed,
        },
        202,
        headers={"Idempotent-Replayed": "true"} if published.replayed else None,
    )


@router.post(
    "/sources/{source_id}/check",
    status_code=202,
    responses={
        400: {"description": "not a source number", "model": Refusal},
        401: {"description": "no live publisher token"},
        403: {"description": "a source not on the token's sites, or none at all (`token_sites`)"},
        404: {"description": "no such source (a token issued before tokens had sites)"},
        409: {"description": "the source is not watched: paused, or out of the catalogue"},
        429: {"description": "too many requests with this token this hour"},
    },
)
async def check_source(source_id: str, who: PublisherDep) -> JSONResponse:
    """Ask the watcher to poll a watched source now rather than at its next interval."""
    number = int(source_id) if source_id.isascii() and source_id.isdigit() else 0
    if not 0 < number < 2**31:
        unusable = problem("source_id", "a source number", source_id)
        return _bad_input([unusable], "the source cannot be checked")
    if not await check_allowed(who.admin, who.sites, number):
        return await _outside(who, str(number), check_refused(number, who.sites or ()))
    now = who.admin.runtime.clock.now()
    async with transaction(who.admin.runtime.sessions) as session:
        polled = await watcher.check_source_now(session, number, now)
        if polled is not None:
            audit_log.record(
                session,
                actor=who.actor,
                action="source_check_requested",
                client=who.client,
                now=now,
                target=str(number),
                details={"paused": not polled},
            )
    if polled is None:
        return JSONResponse({"detail": f"no source {number}"}, 404)
    if not polled:
        # A paused source and one taken out of the catalogue are one state of the row (not
        # active): the answer names both rather than guessing which.
        return JSONResponse(
            {"detail": f"source {number} is not watched (paused, or out of the catalogue)"},
            409,
        )
    return JSONResponse({"source_id": number, "check": "due now"}, 202)
