"""422 answers that say what was wrong without echoing the input back.

FastAPI's own answer repeats every invalid value whole: a 60 kB address comes back as 60 kB, and
whatever a caller sent is reflected. Here each problem keeps its type, place and message, and the
input shrinks to a short excerpt, enough to recognise which value it was.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

EXCERPT: Final = 40  # characters of an input shown back
TEXT: Final = 200  # characters of any other text in a problem (a key name, a message)
# JSON can escape half of a UTF-16 pair (\ud800), which no UTF-8 answer can carry.
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _writable(value: Any) -> Any:
    """Return a value with every lone surrogate in its texts replaced by U+FFFD, and every NaN
    or infinity (which Python's parser takes and no JSON answer can carry) by its spelling."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # "NaN", "Infinity" or "-Infinity"
    if isinstance(value, list | tuple):
        return [_writable(item) for item in value]
    if isinstance(value, dict):
        return {_writable(key): _writable(item) for key, item in value.items()}
    return value


def excerpt(value: Any, length: int = EXCERPT) -> Any:
    """Return a value as a problem may show it: short values whole, long ones cut with «…»."""
    value = _writable(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return value if len(text) <= length else text[:length] + "…"


def _shortened(problem: dict[str, Any]) -> dict[str, Any]:
    short: dict[str, Any] = {}
    for key, value in problem.items():
        if key == "input":
            short[key] = excerpt(value)
        elif key == "loc":
            short[key] = [excerpt(part, TEXT) for part in value]
        elif key == "ctx" and isinstance(value, dict):
            short[key] = {name: excerpt(item, TEXT) for name, item in value.items()}
        else:
            short[key] = excerpt(value, TEXT)
    return short


NOT_JSON: Final = "Send the body as JSON, with the header Content-Type: application/json."


def declares_json(request: Request) -> bool:
    """Return whether a request's Content-Type says its body is JSON (``application/json`` or
    ``application/…+json``, any parameters), as FastAPI decides whether to read a body."""
    essence = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return essence == "application/json" or (
        essence.startswith("application/") and essence.endswith("+json")
    )


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """Answer a request that failed validation: 422, each problem with a short excerpt; 415
    when a JSON body came without saying it is JSON.

    FastAPI reads a body as JSON only when its type says so (a cross-site form or an untyped
    fetch cannot, without a CORS preflight varsel never allows), and otherwise reports the whole
    body as "not a valid dictionary", which does not tell the caller what to change.
    """
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    whole_body = any(tuple(problem.get("loc", ())) == ("body",) for problem in errors)
    if whole_body and not declares_json(request):
        return JSONResponse({"detail": NOT_JSON}, status_code=415)
    problems = [_shortened(problem) for problem in jsonable_encoder(errors)]
    return JSONResponse({"detail": problems}, status_code=422)
