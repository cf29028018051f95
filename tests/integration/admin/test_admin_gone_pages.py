"""Pages that disappeared, over HTTP: an editor confirms once, the log and the outbox say so.

A real database (SQLite and PostgreSQL), the app with the public pages and the admin, driven
over ASGI as a browser would; the watched page is stored as the watcher leaves a gone one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from markupsafe import escape
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from shared.events import PageRemoved, decode_event
from shared.outbox import OutboxRow
from tests.integration.admin import seed
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in
from tests.support.words import words

GONE = seed.GONE_PAGE
MOVED = seed.GONE_PAGE_MOVED_TO


# The error page's row, as its editor reads it in each language: asked of the catalogues
# alone, a missing entry read as the English and passed.
SHOWN = {
    "nb": "i 4 dager, siden {since}: «Det oppstod en feil. &lt;Referanse: 8F3A-22&gt;». Den kan"
    " være ødelagt, ikke fjernet.",
    "nn": "i 4 dagar, sidan {since}: «Det oppstod en feil. &lt;Referanse: 8F3A-22&gt;». Ho kan"
    " vere øydelagd, ikkje fjerna.",
    "en": "for 4 days, since {since}: “Det oppstod en feil. &lt;Referanse: 8F3A-22&gt;”. It may"
    " be broken rather than removed.",
}
# A page whose last poll failed otherwise (a timeout, a reason cut by the column's length).
NOT_TOLD = {
    "nb": "Ikke funnet, eller en feilmelding i stedet for teksten, siden {since} (den siste"
    " hentingen feilet av en annen grunn)",
    "nn": "Ikkje funnen, eller ei feilmelding i staden for teksten, sidan {since} (den siste"
    " hentinga feila av ein annan grunn)",
    "en": "Not found, or an error message in place of its text, since {since} (its last poll"
    " failed for another reason)",
}


async def gone_source(h: Harness, *, days: float = 4) -> int:
    """Store a source that has answered only 404 for ``days`` (gone after three)."""
    async with h.runtime.sessions() as session, session.begin():
        return await seed.gone_source(session, h.runtime.clock.now(), [TOPIC], days=days)


async def _removed_events(h: Harness) -> list[PageRemoved]:
    async with h.runtime.sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    events = [decode_event(r.event_type, r.payload) for r in rows]
    return [e for e in events if isinstance(e, PageRemoved)]


async def _audit(h: Harness, prefix: str) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        query = select(AdminAuditEntry).where(AdminAuditEntry.action.startswith(prefix))
        return list((await session.scalars(query.order_by(AdminAuditEntry.id))).all())


async def test_an_editor_confirms_a_gone_page_once(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        await h.sign_up("kari@example.org")
        await h.confirm("kari@example.org")
        source_id = await gone_source(h)
        await h.user("ed", "editor")
        await h.user("ola", "editor")
        async with h.client() as ed, h.client() as ola:
            await sign_in(ed, "ed")
            await sign_in(ola, "ola")
            listed = await ed.get("/admin/gone?lang=en")
            assert listed.status_code == 200
            assert GONE in listed.text and MOVED in listed.text
            ola_form = await ola.get("/admin/gone?lang=en")  # both editors see the page

            done = await ed.post(
                f"/admin/gone/{source_id}?lang=en", data={"csrf_token": csrf_token(listed.text)}
            )
            assert done.status_code == 200, done.text
            assert "Confirmed" in done.text and "/admin/sources?edit=" in done.text
            assert f"/admin/topics?edit={TOPIC}&amp;lang=en#retire" in done.text
            assert "No page is waiting for confirmation." in done.text

            late = await ola.post(
                f"/admin/gone/{source_id}?lang=en", data={"csrf_token": csrf_token(ola_form.text)}
            )
            assert late.status_code == 409
            assert "another editor confirmed it" in late.text

        (event,) = await _removed_events(h)
        assert (event.source_url, event.moved_to, event.topics) == (GONE, MOVED, (TOPIC,))
        (confirmed,) = await _audit(h, "page_gone_confirmed")
        assert (confirmed.actor, confirmed.target) == ("ed", GONE)
        (refused,) = await _audit(h, "page_gone_refused")
        assert (refused.actor, refused.target) == ("ola", str(source_id))


async def test_bad_requests_change_nothing(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        not_yet = await gone_source(h, days=1)  # missing a day: not gone
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            page = await client.get("/admin/gone?lang=en")
            assert "No page is waiting for confirmation." in page.text
            token = {"csrf_token": csrf_token(page.text)}
            assert (await client.post(f"/admin/gone/{not_yet}", data=token)).status_code == 409
            assert (await client.post("/admin/gone/nope", data=token)).status_code == 404
            # A digit to str.isdigit that int refuses: the page's 404, not a 500.
            assert (await client.post("/admin/gone/²", data=token)).status_code == 404
            assert (await client.post(f"/admin/gone/{not_yet}", data={})).status_code == 400
        assert await _removed_events(h) == []


async def test_only_editors_and_operators_may_confirm(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        source_id = await gone_source(h)
        await h.user("revisor", "auditor")
        await h.user("drift", "operator")
        async with h.client() as auditor:
            await sign_in(auditor, "revisor")
            assert (await auditor.get("/admin/gone")).status_code == 403
            home = await auditor.get("/admin")
            refused = await auditor.post(
                f"/admin/gone/{source_id}", data={"csrf_token": csrf_token(home.text)}
            )
            assert refused.status_code == 403
        assert await _removed_events(h) == []
        denied = await _audit(h, "access_denied")
        assert {d.target for d in denied} == {"GET /admin/gone", f"POST /admin/gone/{source_id}"}
        async with h.client() as operator:
            await sign_in(operator, "drift")
            page = await operator.get("/admin/gone")
            assert page.status_code == 200 and GONE in page.text


async def _listed(h: Harness) -> tuple[str, dict[str, str]]:
    """Return when the seeded pages went missing, as the list words it, and the list an
    editor reads in each language."""
    since = (h.runtime.clock.now() - timedelta(days=4)).strftime("%Y-%m-%d %H:%M UTC")
    await h.user("ed", "editor")
    async with h.client() as client:
        await sign_in(client, "ed")
        return since, {
            language: (await client.get(f"/admin/gone?lang={language}")).text
            for language in ("nb", "nn", "en")
        }


async def test_a_page_that_shows_an_error_message_is_worded_as_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        now = h.runtime.clock.now()
        async with h.runtime.sessions() as session, session.begin():
            await seed.error_page_source(session, now, [TOPIC])
            await seed.gone_source(session, now, [TOPIC])
        since, lists = await _listed(h)
    for language, listed in lists.items():
        said = words("admin", language)
        # Before, both read as pages not found: the error page as removed.
        assert said.ngettext(
            "Has shown an error message in place of its text for %(count)s day, since"
            " %(since)s: “%(said)s”. It may be broken rather than removed.",
            "Has shown an error message in place of its text for %(count)s days, since"
            " %(since)s: “%(said)s”. It may be broken rather than removed.",
            4, count=4, since=since, said=escape(seed.ERROR_SAID),
        ) in listed  # fmt: skip
        not_found = said.gettext("Not found (404 or 410) since %(since)s", since=since)
        assert listed.count(not_found) == 1  # the page answering 404 only
        assert SHOWN[language].format(since=since) in listed


async def test_a_page_whose_last_poll_failed_otherwise_is_worded_as_either(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        timeout = f"timed out after 30s fetching {GONE}"
        async with h.runtime.sessions() as session, session.begin():
            await seed.gone_source(session, h.runtime.clock.now(), [TOPIC], last_error=timeout)
        since, lists = await _listed(h)
    for language, listed in lists.items():
        assert NOT_TOLD[language].format(since=since) in listed
        not_found = words("admin", language).gettext(
            "Not found (404 or 410) since %(since)s", since=since
        )
        assert not_found not in listed  # a timeout is not a 404
