"""What the audit log keeps of typed text (a name tried at sign-in, an address asked for) is
one line without direction overrides or control characters, so a stranger cannot make an
entry read as another name or spill over into the next."""

from __future__ import annotations

from pathlib import Path

from services.admin.adapters import audit_log
from tests.integration.admin.harness import running, sign_in

OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows reads backwards


async def test_typed_names_and_addresses_are_kept_as_one_plain_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("ops", "operator")
        await h.user("ed", "editor")
        async with h.client() as stranger:
            # «snimda» behind an override reads «admins» on the audit page.
            assert (await sign_in(stranger, f"{OVERRIDE}snimda", "not it")).status_code == 401
            assert (await sign_in(stranger, "ops\n\x07kari", "not it")).status_code == 401
        async with h.client() as editor:
            await sign_in(editor, "ed")
            denied = await editor.get(f"/admin/topics/{OVERRIDE}lanoitan")
            assert denied.status_code == 403
        async with h.client() as operator:
            await sign_in(operator, "ops")
            page = await operator.get("/admin/audit?lang=en")
        async with h.runtime.sessions() as session:
            entries = await audit_log.recent(session, limit=100)
    kept = {(e.action, e.actor, e.target) for e in entries}
    # Names that are no account's are one entry of the hour, naming the first (ADR 0028).
    (tried,) = [e.details for e in entries if e.action == "login_failed"]
    assert tried is not None and tried["first_name_tried"] == "snimda" and tried["attempts"] == 2
    assert ("access_denied", "ed", "GET /admin/topics/lanoitan") in kept
    assert OVERRIDE not in page.text and "\x07" not in page.text


async def test_an_address_typed_into_a_staff_url_is_kept_as_address(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        for name, role in (("ed", "editor"), ("aud", "auditor")):
            await h.user(name, role)
        async with h.client() as editor:
            await sign_in(editor, "ed")
            for typed in (
                "carol.secret@example.no",
                "carol.secret%40example.no",
                # Spellings the log's pattern for running text passes over.
                "%22carol.secret%22@example.no",
                "carol.secret@localhost",
                "carol.secret@[127.0.0.1]",
                "carol.secret%2540example.no",
            ):
                assert (await editor.get(f"/admin/topics/{typed}")).status_code == 403
        async with h.client() as auditor:
            await sign_in(auditor, "aud")
            missing = await auditor.get("/admin/privacy/dave.secret@example.no/nb")
            assert missing.status_code == 404
        async with h.runtime.sessions() as session:
            entries = await audit_log.recent(session, limit=100)
    kept = [(e.action, e.actor, e.target) for e in entries]
    assert ("access_denied", "ed", "GET /admin/topics/[address]") in kept
    assert not [k for k in kept if "secret" in (k[2] or "")]
    assert not [k for k in kept if k[0] == "privacy_notice_read"], "no notice was read"
