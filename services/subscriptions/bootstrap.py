"""Wiring of the subscriptions service into an app."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer import read_api as mailer_reads
from services.subscriptions.adapters import privacy_notices
from services.subscriptions.adapters.privacy_notice_files import load_notices
from services.subscriptions.adapters.tables import (
    ConsentRecord,
    PrivacyNotice,
    SignupRequest,
    Subscriber,
    Subscription,
)
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.entrypoints import (
    changes_pages,
    consumers,
    embed_pages,
    end_pages,
    feed_pages,
    index_pages,
    link_pages,
    signup_pages,
)
from services.subscriptions.entrypoints.api import install_api
from services.subscriptions.entrypoints.web import SubscriptionsWeb
from services.subscriptions.entrypoints.wording import TEMPLATE_GLOBALS
from services.subscriptions.handlers import Deps
from services.subscriptions.retention import purge_expired
from shared.db import Base, scrub_deleted
from shared.housekeeping import run_retention
from shared.i18n.catalogues import Catalogues
from shared.runtime import Runtime
from shared.settings import Settings
from shared.vocabulary import Language
from shared.web.brand import mount_brand
from shared.web.csrf import CsrfGuard
from shared.web.documents import load_documents, render_markdown
from shared.web.embed_forms import EmbedForms
from shared.web.pages import PageRenderer, mount_static, page_templates

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The words of the public pages: locale/<language>/LC_MESSAGES/pages.po (``make messages``).
LOCALES = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "pages"
# The bundled example of the accessibility statement, for VARSEL_ACCESSIBILITY_STATEMENT_DIR.
EXAMPLE_STATEMENT = Path(__file__).resolve().parent / "documents" / "accessibility"
# The service's tables, registered with the composition root (varsel.schema).
TABLES: Final[tuple[type[Base], ...]] = (
    Subscriber,
    Subscription,
    SignupRequest,
    ConsentRecord,
    PrivacyNotice,
)

# The tables that hold an address (only the subscriber row, and its unique index), vacuumed on
# PostgreSQL by the hourly housekeeping so an erased address does not stay as a dead tuple.
ADDRESS_TABLES: Final[tuple[type[Base], ...]] = (Subscriber,)


def install(app: FastAPI, runtime: Runtime) -> None:
    """Mount the public pages on an app."""
    csrf = CsrfGuard(runtime.settings.secret_key)
    notices = load_notices(runtime.settings.privacy_notice_dir)
    deps = Deps(runtime.settings, runtime.catalogue, runtime.signer, runtime.clock, notices)
    # Bounces and complaints reported by the mailer end a person's alerts here, where their
    # row lives.
    consumers.subscribe(runtime.bus, deps, bounce_limit=runtime.settings.hard_bounce_limit)
    words = Catalogues.load(LOCALES, DOMAIN)
    statement = load_documents(
        runtime.settings.accessibility_statement_dir or EXAMPLE_STATEMENT,
        "VARSEL_ACCESSIBILITY_STATEMENT_DIR",
    )
    app.state.subscriptions_web = SubscriptionsWeb(
        uow=partial(
            SqlUnitOfWork,
            runtime.sessions,
            on_commit=runtime.relay.wake,
            after_erasure=partial(scrub_deleted, runtime.engine),
        ),
        deps=deps,
        pages=PageRenderer(
            page_templates(TEMPLATES, words),
            csrf,
            context={
                "site": runtime.settings.site_name,
                "privacy_link": partial(
                    privacy_link, runtime.settings.privacy_url, runtime.settings.base_url
                ),
                "brand": runtime.settings.brand,
                **TEMPLATE_GLOBALS,
            },
            served_at=runtime.settings.base_url,
        ),
        csrf=csrf,
        embed=EmbedForms(
            runtime.settings.secret_key, runtime.clock, runtime.settings.embed_origins
        ),
        words=words,
        accessibility_statement=statement,
        privacy_notice={
            Language.of(notice.language): render_markdown(notice.body) for notice in notices.every
        },
        topic_changes=partial(_topic_changes, runtime),
    )
    # Unknown paths, wrong methods and bodies too large answer a browser with a page (errors.py).
    app.state.error_pages = app.state.subscriptions_web
    app.include_router(index_pages.router)
    app.include_router(signup_pages.router)
    app.include_router(embed_pages.router)
    app.include_router(link_pages.router)
    app.include_router(end_pages.router)
    app.include_router(feed_pages.router)
    app.include_router(changes_pages.router)
    install_api(app)
    mount_static(app)
    mount_brand(app, runtime.settings)


def privacy_link(privacy_url: str, base_url: str, language: str) -> str:
    """Return where the pages link the privacy policy (VARSEL_PRIVACY_URL) for ``language``.

    Varsel's own pages take ?lang=; an organisation's own page is linked as it was given, as
    the mails link it: its site need not take the parameter.
    """
    own = privacy_url.startswith("/") or privacy_url.startswith(base_url.rstrip("/") + "/")
    return f"{privacy_url}?lang={language}" if own else privacy_url


async def _topic_changes(runtime: Runtime, slug: str) -> list[mailer_reads.PublishedChange]:
    """Read a topic's newest changes from the mailer, which keeps them, in a session of its own."""
    async with runtime.sessions() as session:
        return await mailer_reads.topic_changes(session, slug)


def check_documents(settings: Settings) -> str:
    """Read the operator's privacy notice and accessibility statement as start-up would.

    Raise ``DocumentError`` naming the file at fault; return the notice's versions.
    """
    notices = load_notices(settings.privacy_notice_dir)
    load_documents(
        settings.accessibility_statement_dir or EXAMPLE_STATEMENT,
        "VARSEL_ACCESSIBILITY_STATEMENT_DIR",
    )
    return ", ".join(f"{n.language} {n.version}" for n in notices.every)


async def record_privacy_notices(runtime: Runtime) -> None:
    """Store the privacy texts in force, so the ledger's versions can always be read back.

    A text the operator changed is a new version (its hash is part of it), stored beside the
    old ones, which the ledger's earlier records go on pointing to.
    """
    notices = load_notices(runtime.settings.privacy_notice_dir)
    await privacy_notices.record(runtime.sessions, notices.every, runtime.clock.now())


async def housekeeping(runtime: Runtime) -> dict[str, int]:
    """Apply the service's retention periods (the subscriptions process's hourly job)."""
    notices = load_notices(runtime.settings.privacy_notice_dir)
    deps = Deps(runtime.settings, runtime.catalogue, runtime.signer, runtime.clock, notices)

    async def purge(session: AsyncSession, now: datetime) -> dict[str, int]:
        return await purge_expired(session, deps, now)

    return await run_retention(runtime, "subscriptions", purge, scrub=ADDRESS_TABLES)
