"""The admin pages in each state staff reach them: accounts, consent, sources, the desk."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.admin import catalogue as catalogue_commands
from services.admin import handlers as admin_handlers
from services.mailer.adapters import changes
from services.mailer.domain.review import ChangeStatus
from shared.events import ContentChanged
from tests.integration.admin import harness as admin
from tests.integration.admin import seed
from tests.integration.admin.bulletins_support import form as bulletin_fields
from tests.integration.admin.publisher_support import token_before_sites
from tests.integration.html_valid import ADDRESS
from tests.integration.html_valid.admin_typed import (
    TYPED_PAGES,
    typed_as_editor,
    typed_as_operator,
)
from tests.integration.subscriptions.harness import csrf
from tests.support.databases import migrated_sqlite
from tests.support.site import FixtureSite, Resource

ADMIN_PAGES = [
    "admin login",
    "admin login failed",
    "admin home",
    "admin consent",
    "admin consent timeline",
    "admin privacy notice",
    "admin ledger",
    "admin ledger with a wrong date",
    "admin topic",
    "admin audit",
    "admin operations",
    "admin desk",
    "admin desk change",
    "admin desk change decided",
    "admin desk decision refused",
    "admin desk with a decision",
    "admin source removal asked",
    "admin source address change asked",
    "admin desk change withdrawn",
    "admin desk with a withdrawal",
    "admin diff",
    "admin users",
    "admin password",
    "admin password refused",
    "admin password changed",
    "admin erasure",
    "admin erasure refused",
    "admin field too long",
    "admin erasure done",
    "admin publishers empty",
    "admin publisher token issued",
    "admin publishers",
    "admin publisher token issued with a namesake",
    "admin publisher token sites refused",
    "admin publishers with a token from before sites",
    "admin forbidden",
    "admin not found signed in",
    "admin home as editor",
    "admin source trial",
    "admin source trial page",
    "admin source trial feed",
    "admin source trial refused",
    "admin previews",
    "admin preview digest in nynorsk",
    "admin preview operator notice",
    "admin sources",
    "admin sources refused",
    "admin source edit",
    "admin source out of review",
    "admin gone pages",
    "admin gone page confirmed",
    "admin gone page refused",
    "admin topics",
    "admin topics refused",
    "admin topic edit",
    "admin topic retire refused",
    "admin source form tested",
    "admin source form test refused",
    "admin bulletins",
    "admin bulletins refused",
    "admin bulletins counted",
    "admin bulletins sent list",
    "admin bulletins tested",
    "admin preview bulletin",
    *TYPED_PAGES,
]
WATCHER_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "watcher"


async def render_admin_pages(folder: Path) -> dict[str, str]:
    url = migrated_sqlite(folder / "admin.db")
    pages: dict[str, str] = {}
    now = datetime.now(UTC)
    site = FixtureSite()
    site.set(
        "/side", Resource((WATCHER_FIXTURES / "pages" / "fhi_norge_i_verden.html").read_bytes())
    )
    feed = (WATCHER_FIXTURES / "feeds" / "regjeringen_nyheter.rss").read_bytes()
    site.set("/nyheter.rss", Resource(feed, "application/rss+xml"))
    site.start()
    async with admin.running(url, folder, allow_private_addresses=True) as h:
        # The catalogue in the database, as start-up stores it, for the sources page.
        await catalogue_commands.apply_at_start(
            h.runtime.sessions, folder / "catalogue.toml", now, allow_private=True
        )
        await h.user("ops", "operator")
        await h.user("revisor", "auditor")
        await h.sign_up(ADDRESS)
        await h.confirm(ADDRESS)
        async with h.runtime.sessions() as session, session.begin():
            source, (first, _, third) = await seed.source_with_snapshots(
                session, "https://example.org/side", now, [admin.TOPIC]
            )
            await seed.steps_with_details(session, now)  # the ledger's details column
        # A push minutes after a told change: the pages show its mark and the push waiting.
        await seed.pushed_after_a_told_change(h.runtime.sessions, source, now)
        async with h.client() as client:
            pages["admin login"] = (await client.get("/admin/login")).text
            pages["admin login failed"] = (await admin.sign_in(client, "ops", "feil")).text
            await admin.sign_in(client, "ops")
            pages["admin home"] = (await client.get("/admin")).text
            pages["admin consent"] = (await client.get("/admin/consent")).text
            lookup = {"address": ADDRESS, "csrf_token": csrf(pages["admin consent"])}
            timeline = (await client.post("/admin/consent", data=lookup)).text
            pages["admin consent timeline"] = timeline
            notice = re.search(r'href="(/admin/privacy/[^"]+)"', timeline)
            assert notice, "the timeline links to the privacy text consented to"
            pages["admin privacy notice"] = (await client.get(notice.group(1))).text
            pages["admin ledger"] = (await client.get("/admin/ledger")).text
            assert pages["admin ledger"].count('<dl class="step-details">') == 3
            # A day no calendar has is refused; the form must not hold it as a date field's value.
            wrong = await client.get("/admin/ledger?from=2026-13-01&to=2026-02-30")
            pages["admin ledger with a wrong date"] = wrong.text
            pages["admin topic"] = (await client.get(f"/admin/topics/{admin.TOPIC}")).text
            pages["admin audit"] = (await client.get("/admin/audit")).text
            pages["admin operations"] = (await client.get("/admin/operations")).text
            diff = f"/admin/sources/{source}/diff?from={first}&to={third}"
            pages["admin diff"] = (await client.get(diff)).text
            pages["admin users"] = (await client.get("/admin/users")).text
            pages["admin password"] = (await client.get("/admin/password")).text
            weak = {"current": admin.PASSWORD, "new": "a" * 12, "again": "a" * 12}
            weak["csrf_token"] = csrf(pages["admin password"])
            refused = await client.post("/admin/password", data=weak)
            assert refused.status_code == 400
            pages["admin password refused"] = refused.text
            pages["admin password changed"] = (await client.get("/admin/password?done=1")).text
            form = (await client.get("/admin/erasure")).text
            pages["admin erasure"] = form
            asked = {"address": ADDRESS, "csrf_token": csrf(form), "action": "erase"}
            refused = await client.post("/admin/erasure", data={**asked, "reason": " "})
            assert refused.status_code == 400
            pages["admin erasure refused"] = refused.text
            too_long = await client.post("/admin/erasure", data={**asked, "reason": "r" * 1001})
            assert too_long.status_code == 400
            pages["admin field too long"] = too_long.text
            done = await client.post("/admin/erasure", data={**asked, "reason": "Asked by phone"})
            assert done.status_code == 200
            pages["admin erasure done"] = done.text
            publishers = (await client.get("/admin/publishers")).text
            pages["admin publishers empty"] = publishers
            issue = {"name": "WordPress", "csrf_token": csrf(publishers), "sites": "www.fhi.no"}
            issued = await client.post("/admin/publishers", data=issue)
            assert issued.status_code == 200
            pages["admin publisher token issued"] = issued.text
            pages["admin publishers"] = (await client.get("/admin/publishers")).text
            issue["csrf_token"] = csrf(pages["admin publishers"])
            namesake = await client.post("/admin/publishers?lang=nn", data=issue)
            assert "<strong>" in namesake.text, "a second WordPress is issued with a warning"
            pages["admin publisher token issued with a namesake"] = namesake.text
            issue = {**issue, "csrf_token": csrf(namesake.text), "sites": "www.fhi.no/rapporter"}
            refused = await client.post("/admin/publishers?lang=en", data=issue)
            assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text
            pages["admin publisher token sites refused"] = refused.text
            await token_before_sites(h)
            before = (await client.get("/admin/publishers?lang=nn")).text
            assert "?replace=" in before
            pages["admin publishers with a token from before sites"] = before
            pages.update(await typed_as_operator(client))
        async with h.client() as client:
            await admin.sign_in(client, "revisor")
            forbidden = await client.get("/admin/users")
            assert forbidden.status_code == 403
            pages["admin forbidden"] = forbidden.text
            # An unknown address shows the signed-in menu too, sign-out form and all.
            missing = await client.get("/admin/finnes-ikke", headers={"accept": "text/html"})
            assert missing.status_code == 404
            assert "Logg ut (revisor)" in missing.text
            pages["admin not found signed in"] = missing.text
        await h.user("redaktor", "editor")
        async with h.client() as client:
            await admin.sign_in(client, "redaktor")
            pages["admin home as editor"] = (await client.get("/admin")).text
            form = (await client.get("/admin/sources/test")).text
            pages["admin source trial"] = form
            tried = [
                ("page", f"{site.base_url}/side", "", 200),
                ("feed", f"{site.base_url}/nyheter.rss", "", 200),
                ("refused", f"{site.base_url}/side", "#finnes-ikke", 200),
            ]
            for name, address, selector, status in tried:
                kind = "feed" if name == "feed" else "page"
                data = {
                    "url": address,
                    "kind": kind,
                    "selector": selector,
                    "csrf_token": csrf(form),
                }
                answer = await client.post("/admin/sources/test", data=data)
                assert answer.status_code == status, name
                pages[f"admin source trial {name}"] = answer.text
            pages["admin previews"] = (await client.get("/admin/previews")).text
            digest = await client.get("/admin/previews/digest/nn?lang=nn")
            pages["admin preview digest in nynorsk"] = digest.text
            notice = await client.get("/admin/previews/operator_failing/en")
            pages["admin preview operator notice"] = notice.text
            listing = (await client.get("/admin/sources")).text
            pages["admin sources"] = listing
            bad = {
                "url": "ftp://x",
                "kind": "page",
                "topics": admin.TOPIC,
                "csrf_token": csrf(listing),
            }
            refused = await client.post("/admin/sources", data=bad)
            assert refused.status_code == 400
            pages["admin sources refused"] = refused.text
            edit = await client.get("/admin/sources", params={"edit": "https://example.org/side"})
            assert edit.status_code == 200
            pages["admin source edit"] = edit.text
            on_form = {"url": f"{site.base_url}/side", "kind": "page", "action": "test"}
            for name, selector, status in (("tested", "", 200), ("test refused", "p[[", 400)):
                data = {**on_form, "selector": selector, "csrf_token": csrf(listing)}
                answer = await client.post("/admin/sources?lang=en", data=data)
                assert answer.status_code == status, name
                pages[f"admin source form {name}"] = answer.text
            topics = (await client.get("/admin/topics")).text
            pages["admin topics"] = topics
            wrong = {
                "slug": "Feil Navn",
                "title_en": "x" * 201,
                "page": "www",
                "editors": "finnes-ikke",
                "csrf_token": csrf(topics),
            }
            refused = await client.post("/admin/topics", data=wrong)
            assert refused.status_code == 400
            assert 'id="editors-error"' in refused.text
            pages["admin topics refused"] = refused.text
            edit = await client.get("/admin/topics", params={"edit": admin.TOPIC, "lang": "nn"})
            assert edit.status_code == 200
            pages["admin topic edit"] = edit.text
            unconfirmed = {
                "slug": admin.TOPIC,
                "successor": admin.OTHER,
                "csrf_token": csrf(topics),
            }
            refused = await client.post("/admin/topics/retire?lang=en", data=unconfirmed)
            assert refused.status_code == 400
            pages["admin topic retire refused"] = refused.text
            pages.update(await _desk_pages(h, client, source, (first, third)))
            pages.update(await _gone_pages(h, client))
            bulletin_form = (await client.get("/admin/bulletins")).text
            pages["admin bulletins"] = bulletin_form
            wrong = {"csrf_token": csrf(bulletin_form), "mode": "urgent", "action": "send"}
            wrong["bulletin_id"] = "not-an-id"
            refused = await client.post("/admin/bulletins", data=wrong)
            assert refused.status_code == 400
            pages["admin bulletins refused"] = refused.text
            counted = await client.post(
                "/admin/bulletins?lang=nn", data=bulletin_fields(bulletin_form, action="count")
            )
            assert counted.status_code == 200 and 'id="reach"' in counted.text
            pages["admin bulletins counted"] = counted.text
            sent = await client.post("/admin/bulletins", data=bulletin_fields(bulletin_form))
            assert sent.status_code == 200, sent.text
            listed = await client.get("/admin/bulletins?lang=en")
            assert "Stengt i julen" in listed.text
            pages["admin bulletins sent list"] = listed.text
            pages["admin bulletins tested"] = await _tested(h, client, bulletin_form)
            preview = await client.get("/admin/previews/bulletin/en?lang=en")
            pages["admin preview bulletin"] = preview.text
            pages.update(await typed_as_editor(client, site.base_url))
    site.stop()
    return pages


async def _tested(h: admin.Harness, client: httpx.AsyncClient, bulletin_form: str) -> str:
    """The bulletin page after a test, which waits for a mail server (no mailer runs here)."""
    async with h.runtime.sessions() as session, session.begin():
        await admin_handlers.set_email(session, "redaktor", "redaktor@example.no")
    tested = await client.post(
        "/admin/bulletins", data=bulletin_fields(bulletin_form, action="test")
    )
    assert tested.status_code == 200 and 'id="tests"' in tested.text, tested.text
    return tested.text


async def _gone_pages(h: admin.Harness, client: httpx.AsyncClient) -> dict[str, str]:
    """Pages that disappeared: the list (one shows an error), a confirmation, one too late."""
    async with h.runtime.sessions() as session, session.begin():
        source_id = await seed.gone_source(session, h.runtime.clock.now(), [admin.TOPIC])
        await seed.error_page_source(session, h.runtime.clock.now(), [admin.TOPIC])
    listing = await client.get("/admin/gone")
    token = {"csrf_token": csrf(listing.text)}
    confirmed = await client.post(f"/admin/gone/{source_id}", data=token)
    refused = await client.post(f"/admin/gone/{source_id}", data=token)
    assert (listing.status_code, confirmed.status_code, refused.status_code) == (200, 200, 409)
    return {
        "admin gone pages": listing.text,
        "admin gone page confirmed": confirmed.text,
        "admin gone page refused": refused.text,
    }


async def _desk_pages(
    h: admin.Harness, client: httpx.AsyncClient, source: int, snapshots: tuple[int, int]
) -> dict[str, str]:
    """The editor's desk: the list, a change with its side-by-side diff, decided, refused."""
    event = ContentChanged(
        source_id=source,
        source_url="https://example.org/side",
        kind="page",
        topics=(admin.TOPIC,),
        title="Norge i verden <oppdatert>",
        url="https://example.org/side",
        summary="Nytt avsnitt om «global helse».",
        diff_url=f"http://x/admin/sources/{source}/diff?from={snapshots[0]}&to={snapshots[1]}",
    )
    async with h.runtime.sessions() as session, session.begin():
        await changes.store(session, event, ChangeStatus.WAITING)
    pages = {"admin desk": (await client.get("/admin/desk")).text}
    path = f"/admin/desk/{event.event_id}"
    detail = await client.get(f"{path}?lang=en")
    assert "<del>" in detail.text and "<ins>" in detail.text, "the diff is shown side by side"
    pages["admin desk change"] = detail.text
    data = {"csrf_token": csrf(detail.text), "decision": "approve", "version": "0", "note": "Ny"}
    approved = await client.post(path, data=data)
    assert approved.status_code == 303
    pages["admin desk change decided"] = (await client.get(approved.headers["location"])).text
    late = await client.post(path, data={**data, "decision": "hold"})  # from the history
    assert late.status_code == 409
    pages["admin desk decision refused"] = late.text
    pages["admin desk with a decision"] = (await client.get("/admin/desk?lang=nn")).text
    pages.update(await _removal_pages(h, client, event))
    return pages


async def _removal_pages(
    h: admin.Harness, client: httpx.AsyncClient, decided: ContentChanged
) -> dict[str, str]:
    """A source with a change on the desk removed: asked first, then the change withdrawn."""
    waiting = decided.model_copy(update={"event_id": uuid.uuid4()})
    async with h.runtime.sessions() as session, session.begin():
        await changes.store(session, waiting, ChangeStatus.WAITING)
    path = f"/admin/desk/{waiting.event_id}"
    opened = await client.get(path)
    edit = await client.get("/admin/sources", params={"edit": waiting.source_url, "lang": "nb"})
    seen = re.search(r'name="seen" value="([^"]+)"', edit.text)
    assert seen is not None
    moving = {
        "csrf_token": csrf(opened.text),
        "original": waiting.source_url,
        "seen": seen.group(1),
        "url": "https://example.org/ny-side",
        "kind": "page",
        "topics": admin.TOPIC,
        "interval": "15m",
        "mode": "automatic",
    }
    moved = await client.post("/admin/sources?lang=nb", data=moving)
    assert moved.status_code == 200 and 'form="source-form"' in moved.text
    # Into review mode and out again: the push waiting for the page goes to the desk, as said.
    same = {**moving, "url": waiting.source_url, "seen": ""}
    reviewed = await client.post("/admin/sources", data={**same, "mode": "review"})
    assert reviewed.status_code == 303
    saved = await client.post("/admin/sources?lang=nn", data=same)
    assert saved.status_code == 303
    ended = await client.get(saved.headers["location"])
    assert ended.status_code == 200 and 'id="to-desk"' in ended.text
    removal = {"csrf_token": csrf(opened.text), "url": waiting.source_url}
    asked = await client.post("/admin/sources/remove?lang=nn", data=removal)
    assert asked.status_code == 200
    removed = await client.post("/admin/sources/remove", data={**removal, "withdraw": "yes"})
    assert removed.status_code == 303
    data = {"csrf_token": csrf(opened.text), "decision": "approve", "version": "0", "note": ""}
    refused = await client.post(f"{path}?lang=en", data=data)
    assert refused.status_code == 409
    return {
        "admin source removal asked": asked.text,
        "admin source address change asked": moved.text,
        "admin source out of review": ended.text,
        "admin desk change withdrawn": refused.text,
        "admin desk with a withdrawal": (await client.get("/admin/desk")).text,
    }
