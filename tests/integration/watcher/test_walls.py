"""A sign-in wall or a maintenance notice over real HTTP: a failed read, never a change, and
a trial in the admin says so as a poll does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.watcher.handlers import poll
from services.watcher.read_api import TrialRefused, source_statuses, try_source
from shared.settings import Settings
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

SIGN_IN = """<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Logg inn</title>
</head><body><header><a href="/">Delta</a></header><main><h1>Logg inn</h1>
<p>Delta er arbeidsrommet for ansatte og samarbeidspartnere. Bruk brukernavnet og passordet du
fikk fra din leder. Har du glemt passordet, kontakt brukerstøtte.</p>
<form method="post"><label>Brukernavn <input name="u"></label>
<label>Passord <input type="password" name="p"></label><button>Logg inn</button></form>
</main></body></html>"""
# ID-porten's choice of electronic ID, where a page that now needs one sends its readers.
EID_CHOICE = """<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>ID-porten</title>
</head><body><header><img src="/logo.svg" alt="ID-porten"></header><main>
<h1>Velg elektronisk ID</h1><ul><li><a href="/minid">MinID</a></li><li><a href="/bankid">BankID
</a></li><li><a href="/bankid-mobil">BankID på mobil</a></li><li><a href="/buypass">Buypass ID
</a></li><li><a href="/commfides">Commfides</a></li></ul><p>Trenger du hjelp? Ring
brukerstøtte for ID-porten, eller les om elektronisk ID på nettsidene til
Digitaliseringsdirektoratet.</p></main></body></html>"""
MAINTENANCE = """<!doctype html><html lang="nb"><head><meta charset="utf-8">
<title>Vedlikehold</title></head><body><main><h1>Vedlikehold</h1>
<p>Nettstedet er stengt for vedlikehold i kveld. Vi er tilbake i løpet av natten.</p>
</main></body></html>"""


@pytest.mark.parametrize(
    ("wall", "reason"),
    [
        (
            {"/p": Route(status=302, location="/login"), "/login": Route(SIGN_IN.encode())},
            "sign-in",
        ),
        ({"/p": Route(SIGN_IN.encode())}, "sign-in"),
        ({"/p": Route(MAINTENANCE.encode())}, "maintenance notice"),
        (
            {
                "/p": Route(status=302, location="/idporten"),
                "/idporten": Route(EID_CHOICE.encode()),
            },
            "electronic ID",
        ),
        ({"/p": Route(EID_CHOICE.encode())}, "electronic ID"),
    ],
    ids=[
        "redirect-to-sign-in",
        "sign-in-in-place",
        "maintenance",
        "redirect-to-eid",
        "eid-in-place",
    ],
)
@pytest.mark.parametrize("before", ["baseline", "changed"])
async def test_a_wall_and_its_end_alert_nobody(
    site: ScriptedSite, harness: Harness, wall: dict[str, Route], reason: str, before: str
) -> None:
    site.set("/p", Route(page().encode()))
    url = site.url("/p")
    source = await harness.add_source(url)
    assert await poll(harness.deps, source) == "baseline"
    if before == "changed":  # a real change first, so the wall follows a told version
        site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
        assert await poll(harness.deps, source) == "changed"
    told = await harness.events()
    snapshots = len(await harness.snapshots(source))

    for path, route in wall.items():
        site.set(path, route)
    assert [await poll(harness.deps, source) for _ in range(3)] == ["failed"] * 3

    # Failing as any unreadable page does: the reason on the admin page, nothing stored.
    async with harness.deps.sessions() as session:
        (status,) = await source_statuses(session, harness.clock.now())
    assert status.status == "failing"
    assert status.last_error is not None and reason in status.last_error
    assert len(await harness.snapshots(source)) == snapshots

    site.set("/p", Route((page(NEW_PARAGRAPH) if before == "changed" else page()).encode()))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == told


async def test_the_end_of_a_wall_not_recognised_is_no_second_alert(
    site: ScriptedSite, harness: Harness
) -> None:
    # A sign-in page long enough to pass for a page, served in place: told once, as a change
    # would be; the page back is a version shown lately (ADR 0018), so nobody hears twice.
    long_wall = SIGN_IN.replace(
        "</main>", "<p>" + "Vilkår for bruk av Delta. " * 50 + "</p></main>"
    )
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    await poll(harness.deps, source)
    site.set("/p", Route(long_wall.encode()))
    assert await poll(harness.deps, source) == "changed"

    site.set("/p", Route(page().encode()))

    assert await poll(harness.deps, source) == "unchanged"
    assert len(await harness.events()) == 1


async def test_trying_an_address_that_leads_to_a_sign_in_page_shows_what_a_poll_would(
    site: ScriptedSite,
) -> None:
    # Longer than a sign-in page in place may be, short enough for one the address led to.
    # Polled, it fails as a sign-in page; tried in the admin, it was shown as the page's text,
    # and the editor saved a source that failed at every poll.
    long_wall = SIGN_IN.replace(
        "</main>", "<p>" + "Vilkår for bruk av Delta. " * 50 + "</p></main>"
    )
    site.set("/p", Route(status=302, location="/login"))
    site.set("/login", Route(long_wall.encode()))
    settings = Settings(allow_private_addresses=True)

    with pytest.raises(TrialRefused, match="sign-in page"):
        await try_source(settings, site.url("/p"), "page")

    site.set("/p", Route(long_wall.encode()))  # the same page where it is: content
    tried = await try_source(settings, site.url("/p"), "page")
    assert tried.title == "Logg inn"


def _rejected(n: int) -> Route:
    """F5 BIG-IP ASM's default blocking page, with the new support ID it gives each request."""
    return Route(
        b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected."
        b" Please consult with your administrator.<br><br>Your support ID is: %d<br><br>"
        b"<a href='javascript:history.back();'>[Go Back]</a></body></html>"
        % (6898140010701167723 + n)
    )


def _in_line(n: int) -> Route:
    """Queue-it's queue page, with its place and id new at each request."""
    return Route(
        b"<html><head><title>Queue-it</title></head><body><main><h1>You are now in line</h1>"
        b"<p>Thank you for your patience. Your number in line: %d. Queue ID: 77af%d</p>"
        b"</main></body></html>" % (2481 - n, 1000 + n)
    )


def _proxy_error(n: int) -> Route:
    """Envoy's answer while the site behind it is down, as some proxies send it with 200."""
    return Route(
        b"upstream connect error or disconnect/reset before headers. reset reason: connection"
        b" failure, transport failure reason: delayed connect error: 111",
        content_type="text/plain",
    )


@pytest.mark.parametrize(
    ("host_page", "reason"),
    [(_rejected, "firewall"), (_in_line, "queue"), (_proxy_error, "error page")],
    ids=["firewall", "queue", "proxy-error"],
)
async def test_a_hosts_page_with_a_new_id_at_every_request_alerts_nobody(
    site: ScriptedSite, harness: Harness, host_page: Callable[[int], Route], reason: str
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    outcomes = []
    for n in range(8):  # each an alert before, and the source then called rotating
        site.set("/p", host_page(n))
        outcomes.append(await poll(harness.deps, source))

    assert outcomes == ["failed"] * 8
    async with harness.deps.sessions() as session:
        (status,) = await source_statuses(session, harness.clock.now())
    assert status.status == "failing"
    assert status.last_error is not None and reason in status.last_error
    site.set("/p", Route(page().encode()))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
