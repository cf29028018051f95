"""A CMS's error message written into a page's own template is found in its main content,
in bokmål, nynorsk and English; a page that speaks of an error is not such a message."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import parse_content
from services.watcher.domain.walls import error_text

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
