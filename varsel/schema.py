"""Every table of the product, as each service's bootstrap registers its own.

``shared`` imports no service, so it cannot name the tables; the composition root can. Comparing
the models with the migrations (``alembic_config``, ``alembic check``, autogenerate) and tests
that walk every table take them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from alembic.config import Config
from sqlalchemy import MetaData

from services.admin import bootstrap as admin
from services.mailer import bootstrap as mailer
from services.subscriptions import bootstrap as subscriptions
from services.watcher import bootstrap as watcher
from shared import schema
from shared.db import Base
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxRow
from shared.web.rate_limit import RateLimitHit

# The bus's tables and the web layer's request counters belong to no one service.
SHARED_TABLES: Final[tuple[type[Base], ...]] = (OutboxRow, ProcessedEvent, RateLimitHit)


def registered_tables() -> Mapping[str, tuple[type[Base], ...]]:
    """Return the tables each part of the product registers, by part."""
    return {
        "shared": SHARED_TABLES,
        "subscriptions": subscriptions.TABLES,
        "watcher": watcher.TABLES,
        "mailer": mailer.TABLES,
        "admin": admin.TABLES,
    }


def metadata() -> MetaData:
    """Return the metadata of every registered table; refuse a table nobody registered."""
    names = [str(t.__tablename__) for tables in registered_tables().values() for t in tables]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RuntimeError(f"tables registered twice: {twice}")
    stray = sorted(set(Base.metadata.tables) - set(names))
    if stray:
        raise RuntimeError(
            f"tables declared but registered by no service's bootstrap: {stray}; "
            "add them to that service's TABLES"
        )
    return Base.metadata


def alembic_config(url: str) -> Config:
    """Build the Alembic configuration that knows every table (to compare models and migrations)."""
    return schema.alembic_config(url, target_metadata=metadata())
