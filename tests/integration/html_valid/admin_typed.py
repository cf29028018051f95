"""Admin forms sent back with what was typed in them, holding characters HTML cannot carry.

Pasted from elsewhere or sent by a script, a field may hold control characters and
noncharacters; a page that shows the field again leaves them out (``|html_text``), as the
public pages do, so the page stays a valid document.
"""

from __future__ import annotations

import httpx

from tests.integration.admin import harness as admin
from tests.integration.admin.bulletins_support import form as bulletin_fields
from tests.integration.html_valid.public_pages import UNCARRIABLE
from tests.integration.subscriptions.harness import csrf

# A posted NUL is refused before any form sees it (access.posted_form); every other such
# character comes back in the field it was typed in. A link's query may hold the NUL too.
TYPED = UNCARRIABLE.replace("\x00", "")

AS_OPERATOR = [
    "admin login with control characters in next",
    "admin consent with control characters in the address",
    "admin erasure with control characters",
    "admin field too long with control characters",
    "admin publishers with control characters in the name",
    "admin publishers with control characters in the sites",
]
AS_EDITOR = [
    "admin source trial with control characters",
    "admin sources with control characters",
    "admin topics with control characters",
    "admin bulletins with control characters",
]
TYPED_PAGES = AS_OPERATOR + AS_EDITOR


async def _sent(client: httpx.AsyncClient, path: str, form: str, data: dict[str, object]) -> str:
    """Post ``data`` with the CSRF token of the form at ``form``; return the answer's page."""
    token = csrf((await client.get(form)).text)
    answer = await client.post(path, data={**data, "csrf_token": token})
    assert answer.status_code in (200, 400, 422), (path, answer.status_code)
    return answer.text


async def typed_as_operator(client: httpx.AsyncClient) -> dict[str, str]:
    """Sign-in, consent, erasure and publisher forms, as an operator signed in at ``client``."""
    login = await client.get("/admin/login", params={"next": f"/admin/{UNCARRIABLE}"})
    address = f"kari{TYPED}@example.no"
    asked = {"address": address, "action": "erase"}
    return {
        AS_OPERATOR[0]: login.text,
        AS_OPERATOR[1]: await _sent(client, "/admin/consent", "/admin/consent", asked),
        AS_OPERATOR[2]: await _sent(
            client, "/admin/erasure", "/admin/erasure", {**asked, "reason": f"Ringte{TYPED}"}
        ),
        AS_OPERATOR[3]: await _sent(
            client, "/admin/erasure", "/admin/erasure", {**asked, "reason": TYPED * 100}
        ),
        AS_OPERATOR[4]: await _sent(
            client,
            "/admin/publishers",
            "/admin/publishers",
            {"name": f"Word{TYPED}Press", "sites": "www.example.no"},
        ),
        # The refusal names the site as typed, so it is shown without them too.
        AS_OPERATOR[5]: await _sent(
            client,
            "/admin/publishers",
            "/admin/publishers",
            {"name": "WordPress", "sites": f"www.example.no\nhttps://www.{TYPED}.no/"},
        ),
    }


async def typed_as_editor(client: httpx.AsyncClient, site: str) -> dict[str, str]:
    """Source, topic and bulletin forms, as an editor signed in at ``client``; ``site`` serves."""
    source = {"url": f"{site}/{TYPED}", "kind": "page", "selector": TYPED, "ignore": TYPED}
    bad_source = {**source, "url": f"ftp://{TYPED}", "topics": admin.TOPIC, "interval": TYPED}
    topic = {"slug": f"ny{TYPED}", "title_nb": f"Tittel{TYPED}", "page": f"www{TYPED}"}
    bulletin_form = (await client.get("/admin/bulletins")).text
    bulletin = bulletin_fields(bulletin_form, action="count", subject_nb=f"Stengt{TYPED}")
    bulletin["body_nb"] = f"Kontoret{TYPED}"
    counted = await client.post("/admin/bulletins", data=bulletin)
    assert counted.status_code in (200, 400), counted.status_code
    return {
        AS_EDITOR[0]: await _sent(client, "/admin/sources/test", "/admin/sources/test", source),
        AS_EDITOR[1]: await _sent(client, "/admin/sources", "/admin/sources", bad_source),
        AS_EDITOR[2]: await _sent(client, "/admin/topics", "/admin/topics", topic),
        AS_EDITOR[3]: counted.text,
    }
