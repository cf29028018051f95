"""How the admin process's JSON APIs read a body: JSON in UTF-8, under one Content-Type, each
key once; the publisher API reads a change so, and the admin API every body it takes.

Whatever one reader of a request could take otherwise than varsel does is refused, not guessed
at: a proxy, a log or the CMS's own record would show one change while varsel mailed another,
and an audit trail one request while the admin API answered another.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from services.admin.entrypoints.api_problems import problem, refusal
from shared.web.validation import NOT_JSON, declares_json, excerpt

NOT_UTF8: Final = (
    "JSON is UTF-8 (RFC 8259, section 8.1): send the body in UTF-8, with charset=utf-8 or no "
    "charset at all"
)
TYPE_TWICE: Final = (
    "given more than once: send one Content-Type header, application/json (readers disagree "
    "on which of two counts)"
)
CHARSET_TWICE: Final = (
    "declares charset more than once: send one, charset=utf-8, or none (readers disagree on "
    "which of two counts)"
)
_UTF8: Final = frozenset({"utf-8", "utf-8-sig"})  # how json.detect_encoding names UTF-8


class RepeatedKey(Exception):
    """A JSON object names one key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class NotUtf8(Exception):
    """A body in UTF-16 or UTF-32, which Python's parser would take and RFC 8259 does not, or
    one declared ASCII that is not."""

    def __init__(self, said: str = "the body is not UTF-8") -> None:
        super().__init__(said)
        self.said = said


def _distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two equal keys counts (the first, the last, neither).
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return found


def parsed(body: bytes, content_type: str | None = None) -> Any:
    """Return a body read as JSON in UTF-8 whose objects name each key once; raise NotUtf8,
    RepeatedKey, or what ``json.loads`` and ``bytes.decode`` raise."""
    charset = _charset(content_type or "")
    if charset is not None and _codec(charset) == "ascii" and not body.isascii():
        # Taken as UTF-8 here, read otherwise (or not at all) by anything that trusts the label.
        raise NotUtf8(f"the body is declared as charset={excerpt(charset)} but is not ASCII")
    # json.loads(bytes) guesses UTF-16 and UTF-32 from the first bytes, as RFC 4627 once did;
    # a body a UTF-8 reader (a proxy, a log) reads as something else is refused instead.
    if json.detect_encoding(body) not in _UTF8:
        raise NotUtf8
    # A UTF-8 byte order mark RFC 8259 lets a parser ignore: taken, as it always was.
    return json.loads(body.decode("utf-8-sig"), object_pairs_hook=_distinct_keys)


def _charset(content_type: str) -> str | None:
    """Return the charset a Content-Type declares, in lower case, or None."""
    declared = _charsets(content_type)
    return declared[0] if declared else None


def _charsets(content_type: str) -> list[str]:
    """Return every charset a Content-Type declares, in lower case."""
    found = []
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            found.append(value.strip().strip('"').lower())
    return found


def _codec(charset: str) -> str | None:
    """Return the name Python gives the codec a charset label stands for, or None."""
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it
        return None


def type_refusal(request: Request, unusable: str) -> JSONResponse | None:
    """Return the refusal of a body by its Content-Type header(s), or None to read it;
    ``unusable`` is the sentence of a 400 (``the change cannot be used``)."""
    declared = request.headers.getlist("content-type")
    if len(declared) > 1:
        return refusal(400, unusable, [problem("Content-Type", TYPE_TWICE)])
    if not declares_json(request):
        # As the public API answers (FastAPI reads a model's body only when it says it is
        # JSON): the same body sent by the same client is taken by both or by neither.
        return JSONResponse({"detail": NOT_JSON}, 415)
    charsets = _charsets(declared[0])
    if len(charsets) > 1:
        return refusal(400, unusable, [problem("Content-Type", CHARSET_TWICE)])
    charset = charsets[0] if charsets else None
    # Any name of UTF-8 («utf8», common in PHP and WordPress), and ASCII, which is UTF-8 too.
    if charset is not None and _codec(charset) not in ("utf-8", "ascii"):
        return refusal(415, f"the body is declared as charset={excerpt(charset)}: {NOT_UTF8}")
    return None


# The admin API's answer to a body it cannot use, as to a query (api_problems.py).
UNUSABLE: Final = "the request cannot be used"


def _strict_body(route: APIRoute) -> None:
    """Refuse a route whose body is read by a model that converts (``"yes"`` or 1 taken as
    true) or ignores a field: every body of the API is read only one way."""
    for param in route.dependant.body_params:
        model = param.field_info.annotation
        config = (
            model.model_config
            if isinstance(model, type) and issubclass(model, BaseModel)
            else ConfigDict()
        )
        if not (config.get("strict") and config.get("extra") == "forbid"):
            raise TypeError(f"{route.path} reads its body laxly; give {param.name} a strict model")


class StrictJsonRoute(APIRoute):
    """A route that reads its JSON body as the publisher API reads a change, before FastAPI
    does: one Content-Type (400), UTF-8 (415), each key once (400); and whose body model is
    strict and forbids unknown fields, refused when it is declared otherwise.

    FastAPI reads the first of two Content-Type headers, takes a body in UTF-16 or UTF-32 and
    one declared in another charset, and keeps the last of two equal keys. A body that is no
    JSON is left to FastAPI, which answers it as before.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler
        _strict_body(self)

        async def read_strictly(request: Request) -> Response:
            if (refused := type_refusal(request, UNUSABLE)) is not None:
                return refused
            try:
                parsed(await request.body(), request.headers.get("content-type"))
            except NotUtf8 as exc:
                return refusal(415, f"{exc.said}: {NOT_UTF8}")
            except RepeatedKey as exc:
                return refusal(400, UNUSABLE, [problem(excerpt(exc.key), "given more than once")])
            except (ValueError, RecursionError):
                pass  # no JSON (or too deep to read): FastAPI's reading answers it, as before
            return await handler(request)

        return read_strictly
