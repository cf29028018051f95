"""Sign-in pages and maintenance notices are no content; public pages that mention them are."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import ContentError, parse_content

ARTICLE = "".join(
    f"<p>Folkehelseinstituttet anbefaler at alle over {age} år tar oppfriskningsdosen i uke "
    f"{week}. Vaksinen gis hos fastlegen eller på kommunens vaksinasjonssted, og den er gratis "
    f"for {age}-åringer. Personer i risikogrupper bør også vaksinere seg, uansett alder.</p>"
    for age, week in ((65, 40), (70, 41), (75, 42), (80, 43), (85, 44), (90, 45))
)  # about 1,300 characters: a short but real article
# What a sign-in page says around its form, beyond the bare minimum of text.
HELP = (
    "<p>Delta er arbeidsrommet for ansatte og samarbeidspartnere. Bruk brukernavnet og "
    "passordet du fikk fra din leder. Har du glemt passordet, kontakt brukerstøtte.</p>"
)

SIGN_IN_FORM = """<form action="/login" method="post"><label>Brukernavn <input name="u"></label>
<label>Passord <input type="Password" name="p"></label><button>Logg inn</button></form>"""


def page(body: str, title: str = "Delta") -> bytes:
    return f"""<!doctype html><html lang="nb"><head><meta charset="utf-8">
<title>{title}</title></head><body>{body}</body></html>""".encode()


def read(body: bytes, *, redirected: bool = False) -> str:
    return parse_content("page", body, content_type="text/html", redirected=redirected).title


@pytest.mark.parametrize(
    "body",
    [
        # A sign-in page: its main content is the form.
        page(f"<main><h1>Logg inn</h1>{HELP}{SIGN_IN_FORM}</main>"),
        # No <main>: the form is not in the page's chrome.
        page(f"<div class='content'><h1>Logg inn</h1>{SIGN_IN_FORM}{HELP}</div>"),
        # A nynorsk one with the heading only in <title>.
        page(
            f"<main><p>Du må logge inn for å sjå denne sida. Delta er arbeidsrommet for tilsette"
            f" og samarbeidspartnarar.</p>{SIGN_IN_FORM}</main>",
            "Logg inn",
        ),
    ],
    ids=["main", "no-container", "nynorsk"],
)
def test_a_sign_in_page_is_no_content(body: bytes) -> None:
    with pytest.raises(ContentError, match="sign-in page"):
        read(body)


@pytest.mark.parametrize(
    "body",
    [
        # A small sign-in box in the header of a short public page.
        page(f"<header>{SIGN_IN_FORM}</header><main><h1>Delta</h1>{HELP}</main>"),
        # In an aside beside the article.
        page(f"<main><h1>Delta</h1>{HELP}</main><aside>{SIGN_IN_FORM}</aside>"),
        # Outside the page's <main>, in a plain <div>.
        page(f"<div class='login'>{SIGN_IN_FORM}</div><main><h1>Delta</h1>{HELP}</main>"),
        # In the main content of a page with a real article (a comment form, a member box).
        page(f"<div><h1>Vaksine i høst</h1>{ARTICLE}{SIGN_IN_FORM}</div>"),
    ],
    ids=["header", "aside", "outside-main", "long-article"],
)
def test_a_public_page_with_a_sign_in_box_is_content(body: bytes) -> None:
    assert read(body)


def test_a_longer_sign_in_page_is_refused_only_where_the_address_redirected_to_it() -> None:
    body = page(f"<div><h1>Logg inn</h1>{SIGN_IN_FORM}{ARTICLE}</div>")

    assert read(body) == "Logg inn"
    with pytest.raises(ContentError, match="sign-in page"):
        read(body, redirected=True)


# ID-porten's choice of electronic ID: links, no password field.
EID_CHOICE = """<h1>Velg elektronisk ID</h1><ul><li><a href="/minid">MinID</a></li>
<li><a href="/bankid">BankID</a></li><li><a href="/bankid-mobil">BankID på mobil</a></li>
<li><a href="/buypass">Buypass ID</a></li><li><a href="/commfides">Commfides</a></li></ul>
<p>Trenger du hjelp? Ring brukerstøtte for ID-porten.</p>"""
# Buttons that start a sign-in with an electronic ID, in the form the page's chrome cut.
EID_BUTTONS = """<form action="/auth"><button name="m" value="b">Logg inn med BankID</button>
<input type="submit" name="m" value="Logg inn med Feide"></form>"""


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("ID-porten", f"<header><img alt='ID-porten'></header><main>{EID_CHOICE}</main>"),
        ("Delta", f"<main><h1>Logg inn</h1>{HELP}{EID_BUTTONS}</main>"),
        (
            "Logg inn på Delta",
            "<div><p>Delta er arbeidsrommet for tilsette og samarbeidspartnarar. Tilsette"
            f" loggar inn med Feide, andre med BankID.</p>{EID_BUTTONS}</div>",
        ),
        (
            "Delta",
            "<main><h1>Sign in with ID-porten</h1><p>Delta is the workspace for staff and"
            f" partners. Sign in to see this page.</p>{EID_BUTTONS}</main>",
        ),
    ],
    ids=["id-porten", "buttons", "nynorsk-title-only", "english"],
)
def test_a_page_that_asks_for_an_electronic_id_is_no_content(title: str, body: str) -> None:
    with pytest.raises(ContentError, match=r"sign-in page.*electronic ID"):
        read(page(body, title))


def test_a_sign_in_heading_is_no_content_where_the_address_led_elsewhere() -> None:
    # The sign-in page the address redirected to, its buttons drawn by a script: only where
    # the address led elsewhere is a bare heading enough.
    body = page(f"<main><h1>Logg inn</h1>{HELP}<p>Laster innlogging …</p></main>")

    assert read(body) == "Logg inn"
    with pytest.raises(ContentError, match=r"sign-in page.*the address led to it"):
        read(body, redirected=True)


def test_a_news_item_about_the_sign_in_service_is_content_where_it_was_redirected_to() -> None:
    body = page(
        "<main><h1>Logg inn-tjenesten er oppgradert</h1><p>Innloggingen med BankID går raskere"
        " fra i dag, og MinID virker igjen.</p></main>"
    )

    assert read(body, redirected=True) == "Logg inn-tjenesten er oppgradert"


@pytest.mark.parametrize(
    "body",
    [
        # A page about signing in names the IDs in sentences, and is where its address says.
        page(
            "<main><h1>Logg inn på Helsenorge</h1><p>Du logger inn med BankID, BankID på mobil,"
            " Buypass eller Commfides. Har du ikke elektronisk ID, kan du bestille MinID.</p>"
            "</main>"
        ),
        # Sign-in buttons in the header of a short news item about the sign-in service.
        page(
            f"<header>{EID_BUTTONS}</header><main><h1>Logg inn-tjenesten er oppgradert</h1>"
            "<p>Innloggingen går raskere fra i dag.</p></main>"
        ),
        # The same choice of IDs under a heading that does not ask to sign in.
        page(f"<main><h1>Elektronisk ID i helsetjenesten</h1>{EID_CHOICE[28:]}</main>"),
    ],
    ids=["about-signing-in", "header-buttons", "no-sign-in-heading"],
)
def test_a_public_page_that_names_electronic_ids_is_content(body: bytes) -> None:
    assert read(body)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Vedlikehold", "<h1>Vedlikehold</h1><p>Vi er straks tilbake. Prøv igjen senere.</p>"),
        ("Delta", "<h1>Vedlikehald</h1><p>Tenesta er stengd. Prøv igjen seinare.</p>"),
        ("Planlagt nedetid | Delta", "<p>Tjenesten er stengt fra klokka 18 til 22 i kveld.</p>"),
        ("Delta", "<h1>Nettstedet er nede for vedlikehold</h1><p>Prøv igjen om en time.</p>"),
        ("Delta", "<p>Tjenesten er stengt på grunn av planlagt oppgradering.</p>"),
        ("Site under maintenance", "<p>We'll be back soon. Thank you for your patience.</p>"),
        ("Delta", "<h1>Temporarily unavailable</h1><p>Please try again later.</p>"),
        # The page's own heading kept, its text replaced by the site's notice.
        (
            "Vaksinasjon",
            "<h1>Vaksinasjon</h1><p>Nettstedet er under vedlikehold og vil være tilgjengelig"
            " igjen om kort tid.</p>",
        ),
        (
            "Delta",
            "<h1>Delta</h1><p>Nettsiden er midlertidig stengt. Vi beklager ulempene dette gir.</p>",
        ),
        ("Delta", "<h1>Om Delta</h1><p>This site is temporarily unavailable.</p>"),
        (
            "Maintenance",
            "<p>Briefly unavailable for scheduled maintenance. Check back in a minute.</p>",
        ),
    ],
)
def test_a_maintenance_notice_is_no_content(title: str, body: str) -> None:
    with pytest.raises(ContentError, match="maintenance notice"):
        read(page(f"<main>{body}</main>", title))


def test_a_check_that_the_reader_is_no_robot_is_no_content() -> None:
    body = "<h1>Just a moment...</h1><p>Checking your browser before accessing delta.no.</p>"
    with pytest.raises(ContentError, match="no robot"):
        read(page(f"<main>{body}</main>", "Just a moment..."))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # A road authority's notice: maintenance is its subject, not its state.
        ("Statens vegvesen", "<h1>Planlagt vedlikehold på E6</h1><p>Ett felt stengt.</p>"),
        ("Statens vegvesen", "<h1>Vedlikehold av riksveier</h1><p>Slik prioriterer vi.</p>"),
        # Closed for maintenance, said of a road or a clinic, not of the site: news.
        ("Vegvesen", "<h1>E6 Kvam</h1><p>E6 er stengt for vedlikehold og åpner mandag.</p>"),
        ("Legevakt", "<h1>Legevakten i Vik</h1><p>Legevakten er midlertidig stengt.</p>"),
        # A status page saying a service is down: what its followers wait for.
        (
            "Driftsmeldinger",
            "<h1>Driftsmeldinger</h1><p>Tjenesten er nede. Vi retter feilen så snart vi kan.</p>",
        ),
        # A short article whose title merely begins like a host's check.
        ("Helse", "<h1>Just a moment is all it takes</h1><p>Wash your hands.</p>"),
        # A long article that speaks of maintenance.
        (
            "Vedlikehold",
            f"<h1>Vedlikehold</h1><p>Sykehuset er stengt for vedlikehold.</p>{ARTICLE}",
        ),
    ],
    ids=["road-notice", "subject", "road", "clinic", "status", "just-a-moment", "long-article"],
)
def test_a_page_about_maintenance_is_content(title: str, body: str) -> None:
    assert read(page(f"<main>{body}</main>", title))
