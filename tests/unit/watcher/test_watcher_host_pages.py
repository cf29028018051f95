"""A host's own page served with 200 in place of the page (a firewall's rejection, a queue, a
robot check, a server's default error, an outage notice) is no content, in bokmål, nynorsk and
English; a short article about robot checks, queues, upgrades or such errors is."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.watcher.domain.content import ContentError, parse_content

STAND_INS = Path(__file__).parents[2] / "fixtures" / "stand_ins"


def read(body: bytes, content_type: str = "text/html") -> str:
    return parse_content("page", body, content_type=content_type).title


def page(body: str, title: str = "Eksempel kommune", lang: str = "nb") -> bytes:
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title}</title></head><body><header><a href="/">Eksempel kommune</a></header>
<main>{body}</main><footer>Rådhusgata 1</footer></body></html>""".encode()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        # The default pages as their software serves them.
        ("f5_request_rejected.html", "firewall's rejection"),
        ("queue_it.html", "queue in front of the site"),
        ("queue_nb.html", "queue in front of the site"),
        ("robot_check_nb.html", "no robot"),
        ("aspnet_runtime_error.html", "error page"),
        ("envoy_upstream_connect_error.txt", "error page"),
        ("wordpress_database_error.html", "error page"),
        ("wordpress_critical_error.html", "error page"),
        ("php_fatal_error.html", "error page"),
        ("too_many_requests.html", "error page"),
        ("service_unavailable_nb.html", "error page"),
        ("upgrading_nb.html", "maintenance notice"),
        ("apache2_ubuntu_default.html", "error page"),
        ("under_construction_nb.html", "maintenance notice"),
    ],
)
def test_a_hosts_default_page_is_no_content(name: str, reason: str) -> None:
    body = (STAND_INS / name).read_bytes()
    content_type = "text/plain" if name.endswith(".txt") else "text/html"

    with pytest.raises(ContentError, match=reason):
        read(body, content_type)


@pytest.mark.parametrize(
    ("title", "body", "reason"),
    [
        # A new id at every request: each was an alert for as long as the block lasted.
        (
            "Request Rejected",
            "The requested URL was rejected. Please consult with your administrator.<br><br>"
            "Your support ID is: 1249181336926239209<br><br><a href='#'>[Go Back]</a>",
            "firewall's rejection",
        ),
        (
            "Du er i kø",
            "<h1>Du er nå i kø</h1><p>På grunn av stor pågang er du satt i kø. Din plass i køen:"
            " 6175. Estimert ventetid: 5 minutter.</p>",
            "queue",
        ),
        (
            "Du er i kø",
            "<h1>Du er no i kø</h1><p>Det er stor pågang. Di plass i køen: 312.</p>",
            "queue",
        ),
        (
            "Queue-it",
            "<h1>You are now in line</h1><p>Thank you for your patience. Your estimated wait time"
            " is 5 minutes. Queue ID: 577af16466c9</p>",
            "queue",
        ),
        (
            "Tryggleikssjekk",
            "<h1>Eg er ikkje ein robot</h1><p>Vi må sjekke at du er eit menneske før du kan gå"
            " vidare. Referanse 41381742</p>",
            "no robot",
        ),
        (
            "Security check",
            "<h1>I'm not a robot</h1><p>Please verify that you are human to continue. Ray ID:"
            " 8f3a2c11</p>",
            "no robot",
        ),
        # IIS's 503 under another <title>.
        (
            "The service is unavailable.",
            "<h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p>",
            "error page",
        ),
        # An outage in the page's own template, nynorsk and English.
        (
            "Eksempel kommune",
            "<h1>Orsak!</h1><p>Tenesta er ikkje tilgjengeleg akkurat no. Prøv igjen om litt.</p>",
            "error page",
        ),
        (
            "Example council",
            "<h1>Sorry!</h1><p>This service is currently unavailable. Please try again later.</p>",
            "error page",
        ),
        # The site at work on itself, and away for now.
        (
            "Eksempel kommune",
            "<h1>Vi oppgraderar nettsidene våre</h1><p>Nettsidene er utilgjengelege ei kort stund."
            " Kom tilbake seinare.</p>",
            "maintenance notice",
        ),
        (
            "Example council",
            "<h1>We are upgrading our website</h1><p>We'll be back shortly.</p>",
            "maintenance notice",
        ),
    ],
)
def test_a_hosts_page_is_no_content(title: str, body: str, reason: str) -> None:
    with pytest.raises(ContentError, match=reason):
        read(page(body, title))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # Articles about robot checks: the heading alike, the text an article's.
        (
            "Jeg er ikke en robot",
            "<h1>Jeg er ikke en robot</h1><p>Mange nettsider ber deg bekrefte at du er et menneske"
            " før du kommer videre. Slik virker sjekken, og slik gjør du den om du ser dårlig.</p>",
        ),
        (
            "Eg er ikkje ein robot",
            "<h1>Eg er ikkje ein robot</h1><p>Når du loggar inn på skuleportalen, må du krysse av"
            " for at du ikkje er ein robot. Elevar som treng hjelp, kan spørje kontaktlæraren.</p>",
        ),
        (
            "I'm not a robot",
            "<h1>I'm not a robot</h1><p>Why do websites ask you to prove you are human? We explain"
            " how such checks work, and what they mean for readers who use a screen reader.</p>",
        ),
        # A queue for council housing, and the wait it gives.
        (
            "Du er nå i kø",
            "<h1>Du er nå i kø</h1><p>Søknaden om kommunal bolig er registrert. Ventetiden er om"
            " lag to år, og du får brev når det er din tur.</p>",
        ),
        (
            "Du er no i kø",
            "<h1>Du er no i kø</h1><p>Søknaden om barnehageplass er registrert. Du får svar innan"
            " utgangen av april.</p>",
        ),
        (
            "You are now in the queue",
            "<h1>You are now in the queue</h1><p>Your application for an allotment is registered."
            " Most applicants are offered a plot within two years.</p>",
        ),
        # A coming upgrade: the site says when, not that it is away now.
        (
            "Vi oppgraderer nettsidene våre",
            "<h1>Vi oppgraderer nettsidene våre</h1><p>Fredag kveld er nettsidene utilgjengelige"
            " mellom klokka 18 og 22. Vi beklager ulempen.</p>",
        ),
        (
            "Nettsida er under arbeid",
            "<h1>Nettsida er under arbeid</h1><p>Vi flyttar innhaldet til ei ny løysing i mars."
            " Gi oss gjerne tilbakemelding på kva du saknar.</p>",
        ),
        (
            "We are upgrading our website",
            "<h1>We are upgrading our website</h1><p>The new site opens on 3 March, with a better"
            " search and forms that work on a phone.</p>",
        ),
        # A service gone for good, and a status page's outage: news for its followers.
        (
            "Driftsmeldinger",
            "<h1>Driftsmeldinger</h1><p>Tjenesten er ikke tilgjengelig. Vi jobber med saken.</p>",
        ),
        (
            "Parkeringsappen",
            "<h1>Parkeringsappen</h1><p>Tjenesten er ikke tilgjengelig lenger. Bruk EasyPark.</p>",
        ),
        # A help page about a server's error or a firewall's rejection.
        (
            "Error establishing a database connection: how to fix it",
            "<h1>Error establishing a database connection: how to fix it</h1><p>Check the"
            " database name, user and password in wp-config.php first.</p>",
        ),
        (
            "Feilmeldinger",
            "<h1>Feilmeldinger</h1><p>The requested URL was rejected. Please consult with your"
            " administrator. Får du denne meldingen, kontakt IT-avdelingen.</p>",
        ),
    ],
)
def test_a_page_about_robot_checks_queues_upgrades_or_errors_is_content(
    title: str, body: str
) -> None:
    assert read(page(body, title))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # An outage notice: the outage said as an error page says it, and the notice's own
        # heading and sentences around it (bokmål, nynorsk, English).
        (
            "Driftsmelding",
            "<h1>Driftsmelding</h1><p>Tjenesten er ikke tilgjengelig for øyeblikket.</p>"
            "<p>Vi jobber med å rette feilen.</p>",
        ),
        (
            "Driftsmelding",
            "<h1>Driftsmelding</h1><p>Portalen er ikke tilgjengelig for øyeblikket.</p>"
            "<p>Vi jobber med å rette feilen.</p>",
        ),
        (
            "Driftsmelding",
            "<h1>Driftsmelding</h1><p>Siden er ikke tilgjengelig for øyeblikket.</p>"
            "<p>Vi jobber med å rette feilen.</p>",
        ),
        (
            "Driftsmelding",
            "<h1>Driftsmelding</h1><p>Tenesta er ikkje tilgjengeleg for augneblinken.</p>"
            "<p>Vi jobbar med å rette feilen.</p>",
        ),
        (
            "Service notice",
            "<h1>Service notice</h1><p>This service is unavailable at the moment.</p>"
            "<p>We are working to fix the fault.</p>",
        ),
        # A «Driftsmeldinger» page listing one outage.
        (
            "Driftsmeldinger – Eksempel kommune",
            "<h1>Driftsmeldinger</h1><h2>Byggesøknad på nett</h2><p>Tjenesten er ikke"
            " tilgjengelig akkurat nå.</p><p>Publisert 6. desember kl. 14.10. Feilen er meldt til"
            " leverandøren.</p>",
        ),
        (
            "Driftsmeldingar – Eksempel kommune",
            "<h1>Driftsmeldingar</h1><h2>Byggjesøknad på nett</h2><p>Tenesta er ikkje"
            " tilgjengeleg akkurat no.</p><p>Feilen er meld til leverandøren.</p>",
        ),
        # Planned maintenance, during it.
        (
            "Eksempel kommune",
            "<h1>Planlagt vedlikehold lørdag – tjenesten er ikke tilgjengelig 08–12</h1>"
            "<p>Tjenesten er ikke tilgjengelig for øyeblikket.</p><p>Vi er tilbake klokka 12.</p>",
        ),
        (
            "Example council",
            "<h1>Planned maintenance on Saturday – the service is unavailable 08–12</h1>"
            "<p>This service is unavailable right now.</p><p>It is back at 12:00.</p>",
        ),
        # A news item on a rush.
        (
            "Stor pågang – lang svartid",
            "<h1>Stor pågang – lang svartid</h1><p>Portalen er ikke tilgjengelig for øyeblikket."
            "</p><p>Mange søker før fristen. Prøv igjen senere.</p>",
        ),
        (
            "Stor pågang – lang svartid",
            "<h1>Stor pågang – lang svartid</h1><p>Portalen er ikkje tilgjengeleg for"
            " augneblinken.</p><p>Mange søkjer før fristen. Prøv igjen seinare.</p>",
        ),
        # Headings a host's page shares, with a subtitle of the news item's own.
        (
            "For mange henvendelser – lengre svartid",
            "<h1>For mange henvendelser – lengre svartid</h1><p>Vi har fått svært mange"
            " henvendelser etter endringene i bostøtten. Svartiden på e-post er nå tre uker.</p>",
        ),
        (
            "Eksempel kommune",
            "<h1>For mange henvendelser - lang ventetid på telefon</h1><p>Ring heller tidlig på"
            " dagen, eller send oss en melding på Min side.</p>",
        ),
        (
            "For mange førespurnader – lengre svartid",
            "<h1>For mange førespurnader – lengre svartid</h1><p>Vi har fått svært mange"
            " førespurnader om bustøtte. Svartida på e-post er no tre veker.</p>",
        ),
        (
            "The service is unavailable - planned outage on Saturday",
            "<h1>The service is unavailable - planned outage on Saturday</h1><p>Bookings are"
            " closed on Saturday 12 December from 08:00 to 12:00 while we move to new servers.</p>",
        ),
        (
            "Runtime error - kjent feil i skjema",
            "<h1>Runtime error - kjent feil i skjema</h1><p>Noen får meldingen «Runtime error» når"
            " de sender byggesøknaden. Vi retter feilen i løpet av uka.</p>",
        ),
        (
            "Eksempel kommune",
            "<h1>Runtime error – kjend feil i skjema</h1><p>Nokre får meldinga «Runtime error» når"
            " dei sender byggjesøknaden. Vi rettar feilen i løpet av veka.</p>",
        ),
        (
            "Too many requests – longer response times",
            "<h1>Too many requests – longer response times</h1><p>We have had many enquiries"
            " about the new housing benefit, and answer e-mail within three weeks.</p>",
        ),
    ],
)
def test_an_outage_notice_or_a_news_item_headed_like_a_hosts_page_is_content(
    title: str, body: str
) -> None:
    assert read(page(body, title))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # The site's name after the heading: the <title>'s own last part, or a domain name.
        ("Eksempel kommune", "<h1>Too Many Requests – Eksempel kommune</h1><p>Please wait.</p>"),
        ("Feil | Eksempel kommune", "<h1>Runtime Error | Eksempel kommune</h1><p>Beklager.</p>"),
        (
            "Too Many Requests | kommune.no",
            "<p>Du har sendt for mange forespørsler på kort tid. Vent litt og prøv igjen.</p>",
        ),
        ("Eksempel kommune", "<h1>For mange henvendelser - kommune.no</h1><p>Vent litt.</p>"),
        # The outage as the page's one sentence, with an error page's usual tail.
        (
            "Eksempel kommune",
            "<h1>Beklager!</h1><p>Tjenesten er ikke tilgjengelig for øyeblikket.</p><p>Prøv"
            " igjen senere.</p><p>Kontakt kundeservice på 22 33 44 55.</p>",
        ),
        (
            "Eksempel kommune",
            "<p>Portalen er ikkje tilgjengeleg for augneblinken.</p><p>Prøv igjen seinare.</p>",
        ),
    ],
)
def test_a_hosts_page_after_its_site_name_or_an_outage_alone_is_no_content(
    title: str, body: str
) -> None:
    with pytest.raises(ContentError, match="error page"):
        read(page(body, title))


@pytest.mark.parametrize(
    "title",
    ["Welcome to nginx!", "IIS Windows Server", "Test Page for the Apache HTTP Server", "It works"],
)
def test_a_web_servers_default_page_is_no_content_at_any_length(title: str) -> None:
    notes = "<p>" + "Edit the server's configuration to serve a site here. " * 20 + "</p>"
    body = f"<div><p>{title}</p>{notes * 3}</div>"

    with pytest.raises(ContentError, match="error page"):
        read(page(body, title))


def test_a_page_about_a_web_servers_default_page_is_content() -> None:
    body = "<main><h1>Slik bytter du ut «It works!»-siden</h1><p>Når Apache er installert, viser"
    body += " serveren sin egen side til du legger inn nettstedet ditt.</p></main>"

    assert read(page(body, "Slik bytter du ut «It works!»-siden"))
