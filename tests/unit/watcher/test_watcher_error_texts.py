"""A CMS's error message written into a page's own template is found in its main content,
in bokmål, nynorsk and English; a page that speaks of an error is not such a message."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest

from services.watcher.domain.content import ContentError, parse_content
from services.watcher.domain.outage_notices import error_text

ARTICLE = "".join(
    f"<p>Kommunen tar imot søknader om barnehageplass for {year}. Søknadsfristen er 1. mars, "
    "og svar kommer innen utgangen av april. Barn med rett til plass får tilbud i nærmiljøet "
    "så langt det er mulig, og søsken får plass i samme barnehage.</p>"
    for year in range(2020, 2027)
)  # about 1,400 characters: a short but real article


HELP = "Ring servicetorget på 12 34 56 78 hvis du trenger hjelp. <a href='/'>Til forsiden</a>"


def template(main: str) -> bytes:
    """Return the page as its CMS serves it: heading, menus and <title> its own."""
    return f"""<!doctype html><html lang="nb"><head><meta charset="utf-8">
<title>Barnehageopptak - Eksempel kommune</title></head><body>
<header><a href="/">Eksempel kommune</a><nav><a href="/tjenester">Tjenester</a></nav></header>
<h1>Barnehageopptak</h1><main>{main}</main><footer>Rådhusgata 1</footer></body></html>
""".encode()


@pytest.mark.parametrize(
    "message",
    [
        "Det oppstod en feil",
        "Det har oppstått en uventet feil. Prøv igjen senere.",
        "En feil har oppstått",
        "Noe gikk galt",
        "Oisann! Noe gikk galt.",
        "Beklager, siden finnes ikke",
        "Siden du leter etter finnes ikke lenger.",
        "Vi fant dessverre ikke siden",
        "Det oppstod ein feil",
        "Det har oppstått ein teknisk feil. Prøv igjen seinare.",
        "Noko gjekk gale",
        "Sida finst ikkje",
        "Fann ikkje sida",
        "Something went wrong",
        "Oops! Something went wrong. Please try again later.",
        "Page not found",
        "An error occurred while processing your request.",
        "Det oppstod en feil under lasting av siden.",
        "The page you are looking for could not be found.",
        "Sorry, we couldn't find that page",
    ],
)
def test_an_error_message_in_the_main_content_is_found(message: str) -> None:
    body = template(f"<h2>Feil</h2><p>{message}</p><p>{HELP}</p>")

    content = parse_content("page", body, content_type="text/html")  # read, not refused

    assert content.title == "Barnehageopptak"
    assert error_text(content.blocks) == message


@pytest.mark.parametrize(
    "main",
    [
        # News of an error, not the message.
        "<p>Noe gikk galt i kommunens IT-system i helgen, og søknadene må sendes på nytt.</p>",
        "<p>Det oppstod en feil i vedtaket fra 3. mars, som nå er rettet.</p>",
        "<p>Det oppstod en feil ved utregningen av skatten, som nå er rettet.</p>",
        "<p>Siden finnes ikke lenger i papirform, men kan lastes ned som PDF.</p>",
        # The message in a long page: the page says more than an error page does.
        f"<p>Det oppstod en feil.</p>{ARTICLE}",
        # Past the first blocks: the page's own text comes first.
        "<p>Søknadsfristen er 1. mars.</p><p>Svar kommer i april.</p><p>Søsken får plass i"
        " samme barnehage.</p><p>Noe gikk galt? Kontakt oss.</p>",
    ],
    ids=["news", "corrected", "corrected-since", "not-in-print", "long", "past-the-first-blocks"],
)
def test_a_page_that_speaks_of_an_error_is_no_error_message(main: str) -> None:
    content = parse_content("page", template(main), content_type="text/html")

    assert error_text(content.blocks) is None


@pytest.mark.parametrize(
    "blocks",
    [
        (
            "Driftsmelding",
            "Teknisk feil: Telefonen til legevakten er ute av drift. Ring 116 117 i mellomtiden.",
        ),
        ("Retting", "Det oppstod en feil. Fristen i saken er 15. januar, ikke 5. januar."),
        (
            "Driftsmelding",
            "Det har oppstått en feil i betalingsløsningen. Betal med faktura i mellomtiden.",
        ),
        ("Driftsmelding", "Noe gikk galt. Søppelbilen kommer til Storgata i morgen i stedet."),
        ("Driftsmelding", "Det oppstod ein feil på vassverket. Kok drikkevatnet til vidare."),
        ("Driftsmelding", "Noko gjekk gale med brøytinga i natt. Skulebussen går likevel."),
        ("Service status", "An error occurred. Bookings made on 3 March must be made again."),
        ("Service status", "Something went wrong. Pay by invoice until further notice."),
        ("Driftsmelding", "Teknisk feil", "Timebestillingen er stengt til klokka 12."),
    ],
    ids=[
        "phone",
        "correction",
        "payment",
        "bins",
        "nn-water",
        "nn-snow",
        "en-booking",
        "en-payment",
        "heading",
    ],
)
def test_a_fault_notice_on_a_status_page_is_content(blocks: tuple[str, ...]) -> None:
    assert error_text(blocks) is None


@pytest.mark.parametrize(
    "message",
    [
        "Det oppstod en feil. Prøv igjen senere, eller kontakt oss.",
        "Det oppstod ein feil. Ver venleg og prøv igjen seinare. Gå til framsida.",
        "Noe gikk galt. Hvis problemet vedvarer, kontakt oss. Vi beklager ulempen.",
        "Something went wrong. Please try again later or go to the home page.",
        "An error occurred. Refresh the page or contact us.",
    ],
)
def test_an_error_message_followed_by_what_error_pages_say_next_is_found(message: str) -> None:
    assert error_text(("Feil", message)) == message


@pytest.mark.parametrize(
    "message",
    [
        "Teknisk feil. Prøv igjen senere.",
        "Beklager, det oppstod en feil. Feilkode: 500.",
        "Det oppstod en feil. Referanse: 8f3a2c",
        "Det oppstod en feil. Kontakt oss på post@kommune.no.",
        "Noe gikk galt. Prøv igjen senere eller kontakt kundeservice på 815 55 555.",
        "Noe gikk galt. Prøv igjen senere eller kontakt kundeservice på …",
        "Det oppstod en feil (500). Tidspunkt: 06.12.2026 14:03:12.",
        "Noe gikk galt. Ring oss på 22 33 44 55 eller send e-post til post@kommune.no.",
        "Det oppstod ein feil. Feilkode: 503. Kontakt brukarstøtta på telefon 55 55 55 55.",
        "Teknisk feil. Prøv igjen seinare.",
        "Error 500. Something went wrong. Try again later.",
        "Something went wrong. Request ID: 0HMVD3K2L9Q1. Please contact support at a@b.org.",
        "Technical error. Please try again later.",
        "An error occurred. Reference: 7c1e-44aa. 2026-12-06T14:03:12Z",
    ],
    ids=[
        "teknisk-feil",
        "code",
        "reference",
        "e-mail",
        "customer-service",
        "customer-service-elided",
        "code-and-time",
        "phone",
        "nn-code-phone",
        "nn-teknisk-feil",
        "en-code-first",
        "en-request-id",
        "en-technical-error",
        "en-reference-time",
    ],
)
def test_an_error_message_with_a_code_an_id_a_time_or_whom_to_ask_is_found(message: str) -> None:
    # Read as content, each was an alert, and the page back a second one.
    assert error_text(("Feil", message)) == message


def test_teknisk_feil_as_the_heading_of_what_to_do_is_an_error_message() -> None:
    assert error_text(("Teknisk feil", "Prøv igjen senere.")) == "Teknisk feil Prøv igjen senere."


@pytest.mark.parametrize(
    "message",
    [
        "Teknisk feil",
        "Teknisk feil. Ring legevakten på 116 117.",
        "Teknisk feil. Kontakt legevakten på 116 117.",
        "Det oppstod en feil. Referanse: vedtaket fra 3. mars.",
        "Det oppstod en feil. Kontakt oss på Storgata 1.",
        "Det oppstod en feil. 15.01.2027",
        "Det oppstod en feil. 500 søknader må sendes på nytt.",
        "Technical error. Call the surgery on 22 33 44 55.",
    ],
)
def test_a_code_a_number_or_a_contact_that_is_news_keeps_a_notice_content(message: str) -> None:
    assert error_text(("Driftsmelding", message)) is None


STATUS = """<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>{title}</title>
</head><body><main><h1>{heading}</h1><p>{text}</p></main></body></html>"""
BOOK = "Bestill time på telefon 12 34 56 78 til feilen er rettet."
BINS = "Bilen kommer i morgen i stedet og tømmer alle dunkene i gata."
PHONE_DOWN = "Ring 116 117 i mellomtiden. Vi melder her når telefonen virker igjen."


@pytest.mark.parametrize(
    ("title", "heading", "text"),
    [
        ("Legevakten", "Teknisk feil på telefonen til legevakten", PHONE_DOWN),
        ("Teknisk feil på telefonen til legevakten - Legevakten", "", PHONE_DOWN),
        ("Legevakten", "Teknisk feil", f"Telefonen til legevakten er ute av drift. {PHONE_DOWN}"),
        ("Teknisk feil - Legevakten", "", f"Telefonen er ute av drift. {PHONE_DOWN}"),
        ("Timebestilling", "En feil har oppstått i timebestillingen", BOOK),
        ("Renovasjon", "Noe gikk galt med tømmingen i Storgata", BINS),
        ("Renovasjon - Noe gikk galt med tømmingen", "", BINS),
    ],
    ids=[
        "heading",
        "title",
        "heading-alone",
        "title-alone",
        "heading-en-feil",
        "heading-noe-gikk-galt",
        "title-noe-gikk-galt",
    ],
)
def test_a_fault_notice_in_the_heading_or_title_of_a_status_page_is_content(
    title: str, heading: str, text: str
) -> None:
    # Refused as an error page, it was a failed poll that told nobody, then /admin/gone.
    body = STATUS.format(title=title, heading=heading, text=text).encode()

    content = parse_content("page", body, content_type="text/html")

    assert error_text(content.blocks) is None


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Barnehageopptak", "Noe gikk galt"),
        ("Noe gikk galt - Eksempel kommune", ""),
        ("Eksempel kommune | En feil har oppstått", ""),
        ("Barnehageopptak", "Teknisk feil – prøv igjen senere"),
        ("Teknisk feil. Prøv igjen senere. | Eksempel kommune", ""),
        ("Barnehageopptak", "Noko gjekk gale"),
        ("Something went wrong | Example council", ""),
        # Beside the site's name (the <title>'s) or a domain, on either side.
        ("Noe gikk galt | Helsedirektoratet", ""),
        ("Barnehageopptak | Helsedirektoratet", "Noe gikk galt | Helsedirektoratet"),
        ("Helse Bergen", "Helse Bergen – Noe gikk galt"),
        ("Error - fhi.no", ""),
        ("Barnehageopptak", "Det oppstod en feil - fhi.no"),
        ("fhi.no | Noko gjekk gale", ""),
    ],
)
def test_an_error_message_as_the_heading_or_title_of_a_short_page_is_an_error_page(
    title: str, heading: str
) -> None:
    body = STATUS.format(title=title, heading=heading, text=HELP).encode()

    with pytest.raises(ContentError, match="looks like an error page"):
        parse_content("page", body, content_type="text/html")


@pytest.mark.parametrize(
    "message",
    [
        "Beklager, en feil oppstod. Referanse: 8F3A-22. Prøv igjen senere, eller ta med"
        " referansen hvis du kontakter oss.",
        "Det oppstod ein feil. Referanse: 8F3A-22. Oppgi referansen om du kontaktar oss.",
        "Noe gikk galt. Feilkode: 500. Oppgi feilkoden dersom du tar kontakt med kundeservice.",
        "Det oppstod en feil (referanse 8F3A-22). Ta med referansen når du kontakter brukerstøtte.",
        "Det oppstod en feil. Hvis du kontakter oss, oppgi referanse 8F3A-22.",
        "Something went wrong. Reference: 8F3A-22. Please quote this reference if you contact us.",
        "An error occurred. Error code: DB_TIMEOUT. Include the error code when contacting"
        " support.",
        "Something went wrong. Please contact us if the problem persists.",
    ],
    ids=[
        "reference",
        "nn-reference",
        "code",
        "in-brackets",
        "asked-first",
        "en",
        "en-code",
        "en-persists",
    ],
)
def test_an_error_message_asking_to_quote_its_reference_when_one_asks_for_help_is_found(
    message: str,
) -> None:
    # Read as content, each was an alert, and the page back a second one.
    assert error_text(("Feil", message)) == message


# «If the problem persists» in every wording of these words, each read today by both places an
# error page says it, by one of them, or by neither («når», «a problem», «recurs» …).
_NORWEGIAN = (
    ("hvis", "om", "dersom", "viss"),
    ("problemet", "feilen"),
    ("vedvarer", "varer", "held fram", "fortset", "fortsetter"),
)
_ENGLISH = (
    ("if",),
    ("the problem", "the error", "this problem", "this error"),
    ("persists", "continues"),
)
_CLAUSES = {
    " ".join(words)
    for words in product(
        (*_NORWEGIAN[0], *_ENGLISH[0], "når", "when"),
        (*_NORWEGIAN[1], *_ENGLISH[1], "feila", "a problem"),
        (*_NORWEGIAN[2], *_ENGLISH[2], "oppstår", "recurs"),
    )
}
# Before what to do: one language throughout.
_BEFORE = {" ".join(words) for words in (*product(*_NORWEGIAN), *product(*_ENGLISH))}
# After whom to ask: the words of either language in any mix, «the» but not «this».
_AFTER = {
    " ".join(words)
    for words in product(
        (*_NORWEGIAN[0], "if"),
        (*_NORWEGIAN[1], "the problem", "the error"),
        (*_NORWEGIAN[2], *_ENGLISH[2]),
    )
}


@pytest.mark.parametrize(
    ("said", "accepted"),
    [
        (lambda clause: ("Feil", f"Det oppstod en feil. {clause}, prøv igjen senere."), _BEFORE),
        (lambda clause: ("Teknisk feil", f"{clause}, prøv igjen senere."), _BEFORE),
        (lambda clause: ("Feil", f"Det oppstod en feil. Kontakt oss {clause}."), _AFTER),
    ],
    ids=["before-what-to-do", "teknisk-feil-before-what-to-do", "after-whom-to-ask"],
)
def test_if_the_problem_persists_is_read_in_the_words_error_pages_use(
    said: Callable[[str], tuple[str, ...]], accepted: set[str]
) -> None:
    found = {clause for clause in _CLAUSES if error_text(said(clause.capitalize())) is not None}

    assert found == accepted


@pytest.mark.parametrize(
    "blocks",
    [
        (
            "Kontakt oss",
            "Har du spørsmål om søknaden, ring oss på 22 33 44 55. Ta med saksnummeret hvis du"
            " kontakter oss.",
        ),
        ("Driftsmelding", "Det oppstod en feil. Ta med fakturanummeret hvis du kontakter oss."),
        ("Driftsmelding", "Det oppstod en feil. Kontakt oss hvis du har betalt to ganger."),
        (
            "Driftsmelding",
            "Det oppstod en feil. Oppgi referansen hvis du kontakter oss om vedtaket fra 3. mars.",
        ),
        ("Driftsmelding", "Det oppstod ein feil. Ta med kundenummeret om du kontaktar oss."),
        ("Service status", "An error occurred. Quote your booking number if you contact us."),
    ],
    ids=["contact-page", "invoice", "paid-twice", "about-a-decision", "nn-customer", "en-booking"],
)
def test_a_page_that_asks_readers_to_contact_us_is_content(blocks: tuple[str, ...]) -> None:
    assert error_text(blocks) is None


def test_an_error_page_asking_to_quote_its_reference_is_found_in_the_main_content() -> None:
    message = (
        "Beklager, en feil oppstod. Referanse: 8F3A-22. Prøv igjen senere, eller ta med"
        " referansen hvis du kontakter oss."
    )
    content = parse_content("page", template(f"<p>{message}</p>"), content_type="text/html")

    assert error_text(content.blocks) == message


BOOKING = (
    "Noen pasienter fikk feil tidspunkt i bekreftelsen på SMS i går. Sjekk timen din på"
    " helsenorge.no, eller ring oss på 55 97 50 00."
)


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Noe gikk galt – feil i timebestillingen", "Noe gikk galt – feil i timebestillingen"),
        (
            "Noe gikk galt – feil i timebestillingen - Helse Bergen",
            "Noe gikk galt – feil i timebestillingen",
        ),
        ("Helse Bergen", "Noe gikk galt – feil i timebestillingen"),
        ("Nyheter | Helse Bergen", "Noko gjekk gale – feil i timebestillinga"),
        ("News - Example Trust", "Something went wrong - booking confirmations"),
        ("Helse Bergen", "Det oppstod en feil – pasienter fikk feil tidspunkt"),
    ],
)
def test_an_error_message_with_a_subtitle_of_its_own_heads_a_news_item(
    title: str, heading: str
) -> None:
    # The subtitle is no site's name: refused as an error page, the news was a failed poll.
    body = STATUS.format(title=title, heading=heading, text=BOOKING).encode()

    content = parse_content("page", body, content_type="text/html")

    assert content.title == heading


@pytest.mark.parametrize(
    "message",
    [
        "Siden oppdateres for øyeblikket. Vennligst kom tilbake senere.",
        "Sida vert oppdatert akkurat no.",
        "This site is being updated right now. Please check back later.",
        "Vi utfører vedlikehold. Prøv igjen senere.",
        "We are performing maintenance on our website. Please try again later.",
        "Du må aktivere JavaScript for å bruke denne siden.",
        "Enable JavaScript and cookies to continue",
        "Denne tjenesten krever JavaScript.",
        "Økten din er utløpt. Logg inn på nytt for å fortsette.",
        "Your session has expired. Please sign in again.",
        "Beklager, vi har tekniske problemer akkurat nå. Prøv igjen senere.",
        "We are experiencing technical difficulties. Please try again later.",
        "Beklager, noe gikk galt. Vi jobber med saken.",
        "Beklager, vi finner ikke siden du leter etter.",
        "Siden du prøver å nå eksisterer ikke.",
    ],
)
def test_what_else_stands_in_for_a_pages_text_is_found_under_its_heading(message: str) -> None:
    # The page's heading kept in its main content, its text replaced (as a probe's CMS did).
    assert error_text(("Barnehageopptak", message)) == message
    assert error_text(("Beklager!", message, "Prøv igjen senere.")) == message


@pytest.mark.parametrize(
    "blocks",
    [
        # A status page's notice, and one that says more than that it is away.
        ("Driftsmelding", "Tjenesten er ikke tilgjengelig for øyeblikket."),
        ("Driftsstatus", "Vi utfører vedlikehold. Prøv igjen senere."),
        ("Timebestilling", "Tjenesten er ikke tilgjengelig for øyeblikket.", "Ring oss i stedet."),
        # Work somewhere, an article on JavaScript, a notice on sessions with its own news.
        ("Vegarbeid", "Vi utfører vedlikehold på E6 i helgen."),
        ("Nettleseren din", "Du må aktivere JavaScript for å bruke kartet i søknadsskjemaet."),
        ("Innlogging", "Økten din er utløpt etter 30 minutter uten bruk.", "Nytt fra mai."),
    ],
    ids=["status", "status-work", "more", "road", "map", "session-news"],
)
def test_a_notice_that_says_more_than_that_the_page_is_away_is_content(
    blocks: tuple[str, ...],
) -> None:
    assert error_text(blocks) is None
