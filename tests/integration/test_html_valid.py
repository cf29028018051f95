"""Every page state and every mail's HTML part passes the W3C Nu HTML checker with zero errors.

The pages come from the real app over ASGI on SQLite, driven through each state as a person
reaches it; the mails from the mailer's own rendering. All go to the checker in one run.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.admin import catalogue as catalogue_commands
from services.mailer.adapters import changes
from services.mailer.domain.bulletin_mail import bulletin_context, render_bulletin
from services.mailer.domain.message import (
    RecipientLinks,
    RenderedMail,
    build_environment,
    render_alert,
    render_confirm,
    render_digest,
    render_manage_link,
    render_topic_ended,
)
from services.mailer.domain.operator_mail import render_operator_mail
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.removal_mail import render_page_removed
from services.mailer.domain.review import ChangeStatus
from services.mailer.domain.views import ChangeView, build_digest_sections
from services.mailer.previews import SAMPLE_BULLETIN
from shared.brand import Brand
from shared.catalogue import Topic
from shared.events import ContentChanged, SourceFailing, SourceRecovered
from shared.schema import upgrade_async
from tests.integration.admin import harness as admin
from tests.integration.admin import seed
from tests.integration.admin.test_admin_bulletins import form as bulletin_fields
from tests.integration.subscriptions.harness import TOPIC, csrf, form_token, running, sign_up
from tests.support.html_checker import Problem, check_documents, checker_jar
from tests.support.journey import hidden_fields
from tests.support.page_resources import resources
from tests.support.site import FixtureSite, Resource

ADDRESS = "kari.nordmann@example.no"
SENT_AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
HOSTILE = 'Norge i verden <script>alert(1)</script>"><img src=x onerror=alert(2)>'

PUBLIC_PAGES = [
    "index",
    "index in nynorsk",
    "index filtered",
    "index without a match",
    "index with a bad filter",
    "index with errors",
    "index with a logo",
    "subscribe",
    "subscribe in English",
    "subscribe in nynorsk",
    "subscribe with errors",
    "embed",
    "embed with errors",
    "embed refused",
    "check email",
    "confirm",
    "confirmed",
    "manage",
    "saved",
    "unsubscribe",
    "unsubscribed",
    "erased",
    "nothing left to end",
    "manage link",
    "manage link with errors",
    "manage link sent",
    "link invalid",
    "not found",
    "topic ended",
    "topic ended in nynorsk",
    "rate limited",
    "privacy",
    "accessibility",
    "accessibility in nynorsk",
    "api docs",
]
ADMIN_PAGES = [
    "admin login",
    "admin login failed",
    "admin home",
    "admin consent",
    "admin consent timeline",
    "admin privacy notice",
    "admin ledger",
    "admin topic",
    "admin audit",
    "admin operations",
    "admin desk",
    "admin desk change",
    "admin desk change decided",
    "admin desk decision refused",
    "admin desk with a decision",
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
    "admin forbidden",
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
    "admin preview bulletin",
]
MAILS = [
    "mail confirm",
    "mail confirm in English",
    "mail confirm in nynorsk",
    "mail confirm with a logo",
    "mail manage link",
    "mail alert",
    "mail alert without a link",
    "mail digest",
    "mail digest in nynorsk",
    "mail topic ended",
    "mail topic ended in nynorsk",
    "mail page removed",
    "mail page removed in English",
    "mail bulletin",
    "mail bulletin in nynorsk",
    "mail digest with a bulletin",
    "mail operator failing",
    "mail operator recovered",
]
DOCUMENTS = PUBLIC_PAGES + ADMIN_PAGES + MAILS
WATCHER_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "watcher"


async def _public_pages(folder: Path) -> dict[str, str]:
    pages: dict[str, str] = {}
    async with running(f"sqlite+aiosqlite:///{folder / 'public.db'}", folder) as h:
        c = h.client
        pages["index"] = (await c.get("/")).text
        pages["index in nynorsk"] = (await c.get("/?lang=nn")).text
        pages["index filtered"] = (await c.get("/?q=folkehelse")).text
        pages["index without a match"] = (await c.get("/?q=fotball")).text
        pages["index with a bad filter"] = (await c.get("/", params={"q": "x" * 101})).text
        wrong = {"email": "ikke-en-adresse", "topics": ["finnes-ikke"]}
        wrong["csrf_token"] = csrf(pages["index"])
        pages["index with errors"] = (await c.post("/", data=wrong)).text
        pages["subscribe"] = (await c.get(f"/subscribe/{TOPIC}")).text
        pages["subscribe in English"] = (await c.get(f"/subscribe/{TOPIC}?lang=en")).text
        pages["subscribe in nynorsk"] = (await c.get(f"/subscribe/{TOPIC}?lang=nn")).text
        token = csrf(pages["subscribe"])
        bad = {"email": "ikke-en-adresse", "csrf_token": token}
        pages["subscribe with errors"] = (await c.post(f"/subscribe/{TOPIC}", data=bad)).text
        pages["embed"] = (await c.get(f"/embed/subscribe/{TOPIC}")).text
        embedded = {"email": "ikke-en-adresse", "form_token": form_token(pages["embed"])}
        answer = await c.post(f"/embed/subscribe/{TOPIC}", data=embedded)
        pages["embed with errors"] = answer.text
        refused = await c.get(f"/embed/subscribe/{TOPIC}?origin=https://evil.example")
        pages["embed refused"] = refused.text
        pages["check email"] = (await sign_up(c, ADDRESS)).text
        confirm = await h.confirm_token(ADDRESS)
        pages["confirm"] = (await c.get(f"/confirm/{confirm}")).text
        done = await c.post(f"/confirm/{confirm}", data=hidden_fields(pages["confirm"]))
        pages["confirmed"] = done.text
        manage = await h.link_token(ADDRESS, "manage")
        pages["manage"] = (await c.get(f"/manage/{manage}")).text
        choice = {"csrf_token": csrf(pages["manage"]), "topics": [TOPIC], "frequency": "daily"}
        saved = await c.post(f"/manage/{manage}", data=choice, follow_redirects=True)
        pages["saved"] = saved.text
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        pages["unsubscribe"] = (await c.get(f"/unsubscribe/{unsubscribe}")).text
        end = {"csrf_token": csrf(pages["unsubscribe"]), "action": "unsubscribe_all"}
        pages["unsubscribed"] = (await c.post(f"/unsubscribe/{unsubscribe}", data=end)).text
        end["action"] = "erase"
        pages["erased"] = (await c.post(f"/unsubscribe/{unsubscribe}", data=end)).text
        pages["nothing left to end"] = (await c.get(f"/unsubscribe/{unsubscribe}")).text
        pages["manage link"] = (await c.get("/manage-link")).text
        ask = {"email": "", "csrf_token": csrf(pages["manage link"])}
        pages["manage link with errors"] = (await c.post("/manage-link", data=ask)).text
        ask["email"] = "ola.nordmann@example.no"
        pages["manage link sent"] = (await c.post("/manage-link", data=ask)).text
        pages["link invalid"] = (await c.get("/confirm/not-a-token")).text
        pages["not found"] = (await c.get("/subscribe/finnes-ikke")).text
        # A topic ends as `varsel catalogue apply` ends it; the process reads the new catalogue.
        live = h.runtime.catalogue
        ended = Topic(slug="avsluttet", title={"nb": HOSTILE}, retired=True, successor=TOPIC)
        live.replace(live.current.model_copy(update={"ended": (ended,)}), live.version + 1)
        pages["topic ended"] = (await c.get("/subscribe/avsluttet")).text
        pages["topic ended in nynorsk"] = (await c.get("/subscribe/avsluttet?lang=nn")).text
        pages["privacy"] = (await c.get("/privacy")).text
        pages["accessibility"] = (await c.get("/accessibility")).text
        pages["accessibility in nynorsk"] = (await c.get("/accessibility?lang=nn")).text
        pages["api docs"] = (await c.get("/docs")).text
    async with running(
        f"sqlite+aiosqlite:///{folder / 'limited.db'}",
        folder,
        signup_limit_per_client=1,
        logo=Path(__file__).resolve().parent.parent / "fixtures" / "brand" / "logo.svg",
    ) as h:
        pages["index with a logo"] = (await h.client.get("/")).text
        await sign_up(h.client, "a@example.no")
        limited = await sign_up(h.client, "b@example.no")
        assert limited.status_code == 429
        pages["rate limited"] = limited.text
    return pages


async def _admin_pages(folder: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{folder / 'admin.db'}"
    await upgrade_async(url)
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
        await catalogue_commands.apply_at_start(h.runtime.sessions, folder / "catalogue.toml", now)
        await h.user("ops", "operator")
        await h.user("revisor", "auditor")
        await h.sign_up(ADDRESS)
        await h.confirm(ADDRESS)
        async with h.runtime.sessions() as session, session.begin():
            source, (first, _, third) = await seed.source_with_snapshots(
                session, "https://example.org/side", now, [admin.TOPIC]
            )
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
            issue = {"name": "WordPress", "csrf_token": csrf(publishers)}
            issued = await client.post("/admin/publishers", data=issue)
            assert issued.status_code == 200
            pages["admin publisher token issued"] = issued.text
            pages["admin publishers"] = (await client.get("/admin/publishers")).text
        async with h.client() as client:
            await admin.sign_in(client, "revisor")
            forbidden = await client.get("/admin/users")
            assert forbidden.status_code == 403
            pages["admin forbidden"] = forbidden.text
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
            preview = await client.get("/admin/previews/bulletin/en?lang=en")
            pages["admin preview bulletin"] = preview.text
    site.stop()
    return pages


async def _gone_pages(h: admin.Harness, client: httpx.AsyncClient) -> dict[str, str]:
    """Pages that disappeared: the list, a confirmation, a confirmation too late."""
    async with h.runtime.sessions() as session, session.begin():
        source_id = await seed.gone_source(session, h.runtime.clock.now(), [admin.TOPIC])
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
    late = await client.post(path, data=data)
    assert late.status_code == 409
    pages["admin desk decision refused"] = late.text
    pages["admin desk with a decision"] = (await client.get("/admin/desk?lang=nn")).text
    return pages


LINKS = RecipientLinks(
    manage_url="https://varsel.fhi.no/manage/s1.YWJj",
    unsubscribe_url="https://varsel.fhi.no/unsubscribe/s1.ZGVm",
    one_click_url="https://varsel.fhi.no/one-click/s1.Z2hp",
)
COMMON = {"sender": "FHI <varsel@fhi.no>", "base_url": "https://www.fhi.no"}
# What an editor could write: raw HTML is shown as text, headings and lists are allowed.
HOSTILE_BULLETIN = {
    "nb": {
        "subject": HOSTILE,
        "body": f"# Overskrift\n\n{HOSTILE}\n\n- a\n- [lenke](javascript:x)",
    },
    "en": {"subject": "Notice", "body": "Text."},
}


def _html_part(mail: RenderedMail) -> str:
    raw = mail.personalise(
        to="kari@example.no", links=LINKS, message_id=f"<{uuid.uuid4()}@fhi.no>", date=SENT_AT
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    return str(html.get_content())


def _mails() -> dict[str, str]:
    env = build_environment()
    change = ChangeView(
        title=HOSTILE,
        url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
        topic_slugs=("norge-i-verden", "vaksiner"),
        topic_titles=("Norge i verden", "Vaksiner"),
        published=datetime(2024, 3, 3).date(),
        updated=datetime(2025, 8, 18).date(),
        summary="«Hva vil vi?»: Et nytt avsnitt.\nFjernet: <b>gammel</b> tekst",
        occurred_at=SENT_AT - timedelta(hours=3),
    )
    linkless = ChangeView(
        title="Relativ sak",
        url="/nyheter/relativ-sak",
        topic_slugs=("norge-i-verden",),
        topic_titles=("Norge i verden",),
        occurred_at=SENT_AT - timedelta(hours=2),
    )
    confirm = {"confirm_url": "https://varsel.fhi.no/confirm/c1.YWJj", "expires_days": 7}
    alert = {"topic_title": "Norge i verden", "list_id": "varsel.fhi.no", **COMMON}
    topics = {"norge-i-verden": "Norge i verden", "vaksiner": "Vaksiner"}
    sections = build_digest_sections(
        [change, linkless], topics, per_topic_limit=1, more_url=lambda _: None
    )
    oslo = ZoneInfo("Europe/Oslo")
    failing = SourceFailing(
        source_id=1,
        source_url="https://www.fhi.no/side",
        title=HOSTILE,
        failures=5,
        last_error="HTTP 503 <html>",
    )
    recovered = SourceRecovered(
        source_id=1, source_url="https://www.fhi.no/side", title="Side", failures=5, last_error="x"
    )
    operator = {"site": "fhi.no", "base_url": "https://www.fhi.no", "admin_url": "https://a.no"}
    return {
        "mail confirm": _html_part(
            render_confirm(
                env,
                language="nb",
                topics=["Norge i verden", HOSTILE],
                existing_topics=["Vaksiner"],
                frequency="daily",
                previous_frequency="weekly",
                privacy_url="https://www.fhi.no/personvern",
                **confirm,
                **COMMON,
            )
        ),
        "mail confirm in English": _html_part(
            render_confirm(
                env, language="en", topics=["Norway"], frequency="weekly", **confirm, **COMMON
            )
        ),
        "mail confirm with a logo": _html_part(
            render_confirm(
                env,
                language="nb",
                topics=["Norge i verden"],
                frequency="weekly",
                brand=Brand(accent="#a4001d", logo_path="/brand/logo.svg"),
                **confirm,
                **COMMON,
            )
        ),
        "mail confirm in nynorsk": _html_part(
            render_confirm(
                env,
                language="nn",
                topics=["Noreg i verda", HOSTILE],
                existing_topics=["Vaksinar"],
                frequency="daily",
                previous_frequency="immediate",
                **confirm,
                **COMMON,
            )
        ),
        "mail manage link": _html_part(
            render_manage_link(
                env,
                language="nb",
                manage_url="https://varsel.fhi.no/manage/m1.YWJj",
                expires_hours=1,
                **COMMON,
            )
        ),
        "mail alert": _html_part(render_alert(env, language="nb", change=change, **alert)),
        "mail alert without a link": _html_part(
            render_alert(env, language="en", change=linkless, **alert)
        ),
        "mail digest": _html_part(
            render_digest(
                env,
                language="nb",
                period=period_ending_at_or_before("daily", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail digest in nynorsk": _html_part(
            render_digest(
                env,
                language="nn",
                period=period_ending_at_or_before("weekly", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail topic ended": _html_part(
            render_topic_ended(
                env,
                language="nb",
                topic_title=HOSTILE,
                successor_title="Helsenyheter",
                successor_url="https://varsel.fhi.no/subscribe/helsenyheter",
                frequency="immediate",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail topic ended in nynorsk": _html_part(
            render_topic_ended(
                env,
                language="nn",
                topic_title="Noreg i verda",
                successor_title=None,
                successor_url=None,
                frequency="weekly",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail page removed": _html_part(
            render_page_removed(
                env,
                language="nb",
                page_title=HOSTILE,
                page_url="https://www.fhi.no/vaksiner/",
                moved_to="https://www.fhi.no/vaksinasjon/",
                topic_titles=[HOSTILE, "Vaksiner"],
                frequency="daily",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail page removed in English": _html_part(
            render_page_removed(
                env,
                language="en",
                page_title="Vaccines",
                page_url="https://www.fhi.no/vaksiner/",
                moved_to=None,
                topic_titles=["Vaccines"],
                frequency="immediate",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail bulletin": _html_part(
            render_bulletin(
                env,
                language="nb",
                texts=HOSTILE_BULLETIN,
                topic_titles=[HOSTILE, "Helsenyheter"],
                frequency="daily",
                list_id="varsel.fhi.no",
                **COMMON,
            )
        ),
        "mail bulletin in nynorsk": _html_part(
            render_bulletin(
                env,
                language="nn",
                texts=SAMPLE_BULLETIN,
                topic_titles=["Helsenyheter"],
                frequency="immediate",
                list_id="varsel.fhi.no",
                test=True,
                **COMMON,
            )
        ),
        "mail digest with a bulletin": _html_part(
            render_digest(
                env,
                language="nb",
                period=period_ending_at_or_before("daily", SENT_AT, tz=oslo),
                sections=sections,
                list_id="varsel.fhi.no",
                bulletins=[bulletin_context(HOSTILE_BULLETIN, "nb", level=2)],
                **COMMON,
            )
        ),
        "mail operator failing": render_operator_mail(env, failing, **operator).html,
        "mail operator recovered": render_operator_mail(env, recovered, **operator).html,
    }


async def _documents(folder: Path) -> dict[str, str]:
    (folder / "public").mkdir()
    (folder / "admin").mkdir()
    return {
        **await _public_pages(folder / "public"),
        **await _admin_pages(folder / "admin"),
        **_mails(),
    }


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Render every page state and every mail."""
    rendered = asyncio.run(_documents(tmp_path_factory.mktemp("rendered")))
    assert sorted(rendered) == sorted(DOCUMENTS)
    return rendered


@pytest.fixture(scope="session")
def problems(
    tmp_path_factory: pytest.TempPathFactory, documents: dict[str, str]
) -> dict[str, list[Problem]]:
    """Check every document in one run of the checker."""
    return check_documents(documents, tmp_path_factory.mktemp("checked"))


@pytest.fixture(scope="session")
def checker() -> None:
    """Skip (or fail under CI) before rendering anything, when the checker is missing."""
    checker_jar()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_page_and_mail_is_valid_html(
    checker: None, problems: dict[str, list[Problem]], name: str
) -> None:
    assert problems[name] == [], "\n".join(str(p) for p in problems[name])


@pytest.mark.parametrize("name", PUBLIC_PAGES + ADMIN_PAGES)
def test_no_page_loads_anything_from_another_host(documents: dict[str, str], name: str) -> None:
    elsewhere = [url for url in resources(documents[name]) if urlsplit(url).netloc]
    assert elsewhere == [], f"{name} loads from another host"


def test_resources_are_found_wherever_a_page_names_them() -> None:
    page = """<!doctype html><html><head>
    <link rel="stylesheet" href="https://cdn.example/a.css"><script src="/s.js"></script>
    <style>@import "https://fonts.example/f.css";
    p { background: url('//img.example/p.png') }</style>
    <meta http-equiv="refresh" content="0; url=https://elsewhere.example/"></head>
    <body><img src="x.png" srcset="https://img.example/1x.png 1x, /2x.png 2x">
    <a href="https://link.example/">a link is followed, not fetched</a>
    <form action="https://post.example/"></form><div style="background:url(https://bg.example/)">
    <iframe src="https://frame.example/"></iframe></div></body></html>"""
    found = resources(page)
    assert sorted(urlsplit(url).netloc for url in found if urlsplit(url).netloc) == [
        "bg.example",
        "cdn.example",
        "elsewhere.example",
        "fonts.example",
        "frame.example",
        "img.example",
        "img.example",
        "post.example",
    ]
    assert "/s.js" in found and "x.png" in found and "/2x.png" in found
