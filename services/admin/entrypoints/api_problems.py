"""The one shape of a refusal in the admin process's JSON APIs: the admin API and the publisher API.

Every refusal is an object whose ``detail`` is a sentence; one of the request's input adds
``errors``, one ``{"field", "reason", "input"}`` per problem, ``input`` a short excerpt of the
value or null (the shape docs/publishing.md documents for publishers). The admin API answered a
body or query it could not read with FastAPI's own list of problems under ``detail``, and its
other refusals of input with a sentence alone: a client of both APIs needed two readers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, Final

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.web.validation import NOT_JSON, declares_json, excerpt

# Where FastAPI found a value (the first part of a problem's ``loc``): not part of its name.
_PLACES: Final = frozenset({"body", "query", "header", "path", "cookie"})


class Problem(BaseModel):
    """One thing wrong with a request's input."""

    field: str
    reason: str
    input: Any = None


class Refusal(BaseModel):
    """A refused request: why, and for its input, what is wrong with each field."""

    detail: str
    errors: list[Problem] | None = None


def problem(field: str, reason: str, value: Any = None) -> dict[str, Any]:
    """Return one problem of the input, its value (if any) cut to an excerpt."""
    return {"field": field, "reason": reason, "input": excerpt(value)}


def refusal(status: int, detail: str, errors: Iterable[Mapping[str, Any]] = ()) -> JSONResponse:
    """Answer a refusal: ``detail``, and ``errors`` when the input is what is refused."""
    problems = [dict(e) for e in errors]
    body: dict[str, Any] = {"detail": detail}
    if problems:
        body["errors"] = problems
    return JSONResponse(body, status)


def field_problems(
    errors: Iterable[Mapping[str, Any]], shown: Callable[[str, Any], Any] | None = None
) -> list[dict[str, Any]]:
    """Return pydantic's or FastAPI's problems as ours; ``shown`` excerpts a field's value."""
    problems = []
    for found in errors:
        parts = [str(part) for part in found.get("loc", ())]
        if len(parts) > 1 and parts[0] in _PLACES:
            parts = parts[1:]
        field = ".".join(parts) or "body"
        value = found.get("input") if parts and parts != ["body"] else None
        shown_value = shown(field, value) if shown is not None else excerpt(value)
        problems.append({"field": excerpt(field), "reason": found["msg"], "input": shown_value})
    return problems


class BadInput(Exception):
    """A request whose input cannot be used: answered ``status`` with ``detail`` and ``errors``."""

    def __init__(self, detail: str, errors: Iterable[Mapping[str, Any]], status: int = 400) -> None:
        super().__init__(detail)
        self.detail, self.errors, self.status = detail, list(errors), status


def answering_refusals(route_class: type[APIRoute]) -> type[APIRoute]:
    """Return a route class whose routes answer input they cannot use in the one shape: a
    FastAPI validation problem (422) or a ``BadInput``; a JSON body not said to be JSON 415."""

    class AnsweringRefusals(route_class):  # type: ignore[misc, valid-type]
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def answered(request: Request) -> Response:
                try:
                    answer: Response = await handler(request)
                    return answer
                except BadInput as exc:
                    return refusal(exc.status, exc.detail, exc.errors)
                except RequestValidationError as exc:
                    found = jsonable_encoder(exc.errors())
                    whole = any(tuple(p.get("loc", ())) == ("body",) for p in found)
                    if whole and not declares_json(request):
                        return refusal(415, NOT_JSON)
                    return refusal(422, "the request cannot be used", field_problems(found))

            return answered

    return AnsweringRefusals
