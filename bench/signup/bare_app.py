"""The yardstick: a bare FastAPI endpoint that parses the same form and does one INSERT."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# The same pool as varsel's (shared/db.py): twenty connections kept, so neither opens one per
# request when more than ten are in flight.
engine = create_async_engine(os.environ["BENCH_DATABASE_URL"], pool_size=20, max_overflow=0)
app = FastAPI()

INSERT = text(
    "INSERT INTO bench_signups (id, email, frequency, created_at) VALUES (:id, :e, :f, :t)"
)


@app.get("/subscribe/{slug}", response_class=HTMLResponse)
async def form(slug: str) -> str:
    """Show a minimal form (the load generator reads it once per connection)."""
    return '<form method="post"><input name="email"><input name="frequency"></form>'


@app.post("/subscribe/{slug}", response_class=HTMLResponse)
async def subscribe(slug: str, email: str = Form(), frequency: str = Form()) -> str:
    """Store one row and answer with a small page."""
    async with engine.begin() as connection:
        await connection.execute(
            INSERT, {"id": uuid.uuid4(), "e": email, "f": frequency, "t": datetime.now(UTC)}
        )
    return "<!doctype html><title>ok</title><p>Sjekk e-posten din</p>"
