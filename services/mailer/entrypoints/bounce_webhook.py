"""The webhook for providers that post late bounces and complaints over HTTP.

Internal: it answers only with the shared secret (``VARSEL_BOUNCE_WEBHOOK_SECRET``) as a bearer
token. The body is the report itself, as the SMTP listener would receive it (a DSN or an ARF
report, ``message/rfc822``); its verdict is the same as there.
"""

from __future__ import annotations

import hmac
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from services.mailer.returned_mail import ReturnedMail, Verdict

PATH: Final = "/api/v1/bounce-reports"


def install_webhook(app: FastAPI, intake: ReturnedMail, secret: str) -> None:
    """Serve the webhook at ``PATH`` on ``app``."""
    router = APIRouter()
    expected = f"Bearer {secret}".encode()

    @router.post(PATH, include_in_schema=False)
    async def report(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"detail": "a valid bearer token is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        taken = await intake.take(await request.body(), channel="webhook", recipient=None)
        status = 422 if taken.verdict is Verdict.IGNORED else 200
        return JSONResponse({"verdict": taken.verdict.value, "reason": taken.reason}, status)

    app.include_router(router)
