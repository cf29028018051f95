"""The public pages (the subscriptions service) in each state a person reaches them."""

from __future__ import annotations

from pathlib import Path

from services.subscriptions import handlers
from shared.catalogue_entries import Topic
from shared.web.forms import MAX_FORM_FIELDS
from tests.integration.html_valid import ADDRESS, HOSTILE
from tests.integration.subscriptions.harness import (
    START,
    TOPIC,
    csrf,
    form_token,
    running,
    sign_up,
    subscribed,
)
from tests.integration.subscriptions.test_subscriptions_feeds import _changed
from tests.support.journey import form_with, hidden_fields

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# A NUL, C0 controls, DEL, a C1 control and noncharacters: none may stand in an HTML document.
UNCARRIABLE = "\x00\x01\x08\x0b\x1f\x7f\x85\ufdd0\ufffe\U0010ffff"
PUBLIC_PAGES = [
    "index",
    "index in nynorsk",
    "index filtered",
    "index without a match",
    "index with a bad filter",
    "index with a control character in the filter",
    "index with errors",
    "index with a logo",
    "subscribe",
    "subscribe in English",
    "subscribe in nynorsk",
    "subscribe with errors",
    "topic changes",
    "topic changes in English",
    "subscribe with control characters in the address",
    "subscribe without the cookie",
    "embed",
    "embed with errors",
    "embed refused",
    "check email",
    "confirm",
    "confirmed",
    "already confirmed",
    "manage",
    "manage with errors",
    "manage with a topic not offered",
    "manage with a notice changed",
    "manage of an address whose mail bounced",
    "saved",
    "unsubscribe",
    "unsubscribed",
    "unsubscribe with no alerts open",
    "manage with no alerts open",
    "confirmed, alerts ended since",
    "erased",
    "nothing left to end",
    "manage link",
    "manage link with errors",
    "manage link with a control character in the address",
    "manage link sent",
    "link invalid",
    "not found",
    "unknown path",
    "unknown path in English",
    "unknown path with control characters",
    "wrong method",
    "body too large",
    "form unreadable",
    "topic ended",
    "topic ended in nynorsk",
    "rate limited",
    "privacy",
    "accessibility",
    "accessibility in nynorsk",
    "api docs",
]


async def render_public_pages(folder: Path) -> dict[str, str]:
    pages: dict[str, str] = {}
    async with running(f"sqlite+aiosqlite:///{folder / 'public.db'}", folder) as h:
        c = h.client
        pages["index"] = (await c.get("/")).text
        pages["index in nynorsk"] = (await c.get("/?lang=nn")).text
        pages["index filtered"] = (await c.get("/?q=folkehelse")).text
        pages["index without a match"] = (await c.get("/?q=fotball")).text
        pages["index with a bad filter"] = (await c.get("/", params={"q": "x" * 101})).text
        pages["index with a control character in the filter"] = (
            await c.get("/", params={"q": "helse\x00"})
        ).text
        wrong = {"email": "ikke-en-adresse", "topics": ["finnes-ikke"]}
        wrong["csrf_token"] = csrf(pages["index"])
        pages["index with errors"] = (await c.post("/", data=wrong)).text
        pages["subscribe"] = (await c.get(f"/subscribe/{TOPIC}")).text
        pages["subscribe in English"] = (await c.get(f"/subscribe/{TOPIC}?lang=en")).text
        pages["subscribe in nynorsk"] = (await c.get(f"/subscribe/{TOPIC}?lang=nn")).text
        await _changed(h, (TOPIC,), HOSTILE, START)
        pages["topic changes"] = (await c.get(f"/topics/{TOPIC}/changes")).text
        pages["topic changes in English"] = (await c.get(f"/topics/{TOPIC}/changes?lang=en")).text
        token = csrf(pages["subscribe"])
        bad = {"email": "ikke-en-adresse", "csrf_token": token}
        pages["subscribe with errors"] = (await c.post(f"/subscribe/{TOPIC}", data=bad)).text
        # Pasted or sent by a script: every character HTML cannot carry, in an address refused.
        bad["email"] = f"kari{UNCARRIABLE}@example.no"
        typed = await c.post(f"/subscribe/{TOPIC}", data=bad)
        pages["subscribe with control characters in the address"] = typed.text
        async with h.browser() as cookieless:  # a browser that blocks cookies
            sent = {"email": "kari@example.no", "frequency": "daily", "csrf_token": token}
            blocked = await cookieless.post(f"/subscribe/{TOPIC}", data=sent)
            pages["subscribe without the cookie"] = blocked.text
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
        pages["already confirmed"] = (await c.get(f"/confirm/{confirm}")).text
        manage = await h.link_token(ADDRESS, "manage")
        pages["manage"] = (await c.get(f"/manage/{manage}")).text
        choice = {**hidden_fields(pages["manage"]), "topics": [TOPIC], "frequency": "hourly"}
        pages["manage with errors"] = (await c.post(f"/manage/{manage}", data=choice)).text
        not_offered = {**choice, "topics": [TOPIC, "nope"], "frequency": "daily"}
        refused_topic = await c.post(f"/manage/{manage}", data=not_offered)
        pages["manage with a topic not offered"] = refused_topic.text
        # Shown again after the privacy notice changed since the page was opened (409).
        stale = {**choice, "frequency": "daily", "privacy_version": "1999-01-01.000000000000"}
        pages["manage with a notice changed"] = (await c.post(f"/manage/{manage}", data=stale)).text
        choice["frequency"] = "daily"
        saved = await c.post(f"/manage/{manage}", data=choice, follow_redirects=True)
        pages["saved"] = saved.text
        unsubscribe = await h.link_token(ADDRESS, "unsubscribe")
        pages["unsubscribe"] = (await c.get(f"/unsubscribe/{unsubscribe}")).text
        action, end = form_with(pages["unsubscribe"], "unsubscribe_all")
        pages["unsubscribed"] = (await c.post(action, data=end)).text
        none_open = await c.get(f"/unsubscribe/{unsubscribe}")
        pages["unsubscribe with no alerts open"] = none_open.text
        pages["manage with no alerts open"] = (await c.get(f"/manage/{manage}")).text
        pages["confirmed, alerts ended since"] = (await c.get(f"/confirm/{confirm}")).text
        action, erase = form_with(none_open.text, "erase")
        pages["erased"] = (await c.post(action, data=erase)).text
        pages["nothing left to end"] = (await c.get(f"/unsubscribe/{unsubscribe}")).text
        pages["manage link"] = (await c.get("/manage-link")).text
        ask = {"email": "", "csrf_token": csrf(pages["manage link"])}
        pages["manage link with errors"] = (await c.post("/manage-link", data=ask)).text
        ask["email"] = f"ola{UNCARRIABLE}@example.no"
        typed = await c.post("/manage-link", data=ask)
        pages["manage link with a control character in the address"] = typed.text
        ask["email"] = "ola.nordmann@example.no"
        pages["manage link sent"] = (await c.post("/manage-link", data=ask)).text
        pages["link invalid"] = (await c.get("/confirm/not-a-token")).text
        pages["not found"] = (await c.get("/subscribe/finnes-ikke")).text
        browser = {"accept": "text/html"}
        pages["unknown path"] = (await c.get("/confirm", headers=browser)).text
        pages["unknown path in English"] = (await c.get("/nope?lang=en", headers=browser)).text
        odd = await c.get("/nope%00%01%7F%C2%85%EF%BF%BF", headers=browser)
        pages["unknown path with control characters"] = odd.text
        pages["wrong method"] = (await c.delete("/manage-link", headers=browser)).text
        huge = await c.post("/manage-link", content=b"x" * 70_000, headers=browser)
        pages["body too large"] = huge.text
        fields = "&".join("f=" for _ in range(MAX_FORM_FIELDS + 1)).encode()
        form = {**browser, "content-type": "application/x-www-form-urlencoded"}
        pages["form unreadable"] = (await c.post("/manage-link", content=fields, headers=form)).text
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
        bounced = await subscribed(h, "bounced@example.no")
        web = h.app.state.subscriptions_web
        await handlers.record_bounce(web.uow(), web.deps, bounced, limit=1)
        manage = await h.link_token("bounced@example.no", "manage")
        pages["manage of an address whose mail bounced"] = (await c.get(f"/manage/{manage}")).text
    async with running(
        f"sqlite+aiosqlite:///{folder / 'limited.db'}",
        folder,
        signup_limit_per_client=1,
        logo=FIXTURES / "brand" / "logo.svg",
    ) as h:
        pages["index with a logo"] = (await h.client.get("/")).text
        await sign_up(h.client, "a@example.no")
        limited = await sign_up(h.client, "b@example.no")
        assert limited.status_code == 429
        pages["rate limited"] = limited.text
    return pages
