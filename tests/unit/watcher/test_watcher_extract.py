"""Titles, dates, blocks and summaries extracted from the saved fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.watcher.domain.content import (
    Content,
    compare,
    parse_content,
    unified_diff,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "watcher"

FHI = "pages/fhi_norge_i_verden.html"
TVERS = "pages/fhi_pa_tvers_av_sektorer.html"
HELSEDIR = "pages/helsedir_rapport_kapittel_5_2.html"
RSS = "feeds/regjeringen_nyheter.rss"
ATOM = "feeds/fhi_nyheter.atom"
PDF = "pdf/rapport_2019.pdf"

# Words of the chrome around the content: never in the compared blocks.
BOILERPLATE = (
    "Få varsel ved oppdateringer",
    "Hvor ofte ønsker du å motta varsler",
    "Gjelder alle dine varsler",
    "Ønsker du også varsler om",
    "E-postadressen du registrerer her",
    "Les mer om personvern",
    "Du har meldt deg på nyhetsvarsel",
    "Du benytter en nettleser vi ikke støtter",
    "Se informasjon om nettlesere",
    "Hopp til",
    "informasjonskapsler",
    "Godta alle",
    "Tillat alle",
    "Postboks",
    "Sentralbord",
    "Publisert",
    "Oppdatert",
    "Sist faglig oppdatert",
    "Del på",
    "Forside",
    "Forskning og analyse",
    "Meld meg på",
    "Straks",
    "Ukentlig",
    "Helseberedskap",  # a related topic in the «Ønsker du også varsler om» list
    "5.3. Videre arbeid",
)


def parse(path: str, kind: str = "page", **options: object) -> Content:
    return parse_content(kind, (FIXTURES / path).read_bytes(), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "kind", "title", "published", "updated"),
    [
        (FHI, "page", "Norge i verden", date(2021, 2, 3), date(2021, 6, 14)),
        (TVERS, "page", "På tvers av sektorer", date(2021, 2, 3), date(2024, 3, 5)),
        (
            HELSEDIR,
            "page",
            "5.2. Utvalgte aktiviteter under satsningsområdene i HODs internasjonale strategi",
            None,
            date(2022, 8, 18),
        ),
        (
            RSS,
            "feed",
            "Nyheter fra Helse- og omsorgsdepartementet - regjeringen.no",
            None,
            date(2024, 6, 14),
        ),
        (ATOM, "feed", "Nyheter fra Folkehelseinstituttet", None, date(2024, 6, 12)),
        (
            PDF,
            "pdf",
            "Internasjonalt arbeid i Helsedirektoratet - årsrapport 2019",
            None,
            date(2020, 6, 15),
        ),
    ],
)
def test_title_and_dates(
    path: str, kind: str, title: str, published: date | None, updated: date | None
) -> None:
    content = parse(path, kind)

    assert content.title == title
    assert content.published == published
    assert content.updated == updated


@pytest.mark.parametrize(
    ("path", "selector"),
    [(FHI, None), (TVERS, None), (HELSEDIR, None), (FHI, "body"), (HELSEDIR, "body")],
)
def test_boilerplate_never_reaches_the_blocks(path: str, selector: str | None) -> None:
    content = parse(path, selector=selector)

    for block in content.blocks:
        for words in BOILERPLATE:
            assert words not in block, f"{words!r} in {block!r}"


def test_page_blocks_keep_headings_lists_and_the_lead_once() -> None:
    content = parse(FHI)
    headings = [content.blocks[i] for i in sorted(content.headings)]

    assert headings == ["Norge i verden", "Hva vil vi?", "Hva gjør vi i dag?"]
    assert sum(b.startswith("God helse i befolkningen") for b in content.blocks) == 1
    assert any(b.startswith("Vi vil bidra med kunnskap") for b in content.blocks)
    assert all(b == b.strip() and "  " not in b and "\xa0" not in b for b in content.blocks)


def test_selector_picks_the_chapter_with_its_headings() -> None:
    content = parse(HELSEDIR, selector=".b-chapter")

    assert content.blocks[0].startswith("5.2. Utvalgte aktiviteter")
    assert "Tilgang til legemidler" in {content.blocks[i] for i in content.headings}
    assert not any("Forrige" in b or "Neste" in b for b in content.blocks)


def test_the_skip_links_target_is_the_content_of_a_page_without_article_or_main() -> None:
    body = (FIXTURES / HELSEDIR).read_bytes()
    content = parse_content("page", body)
    chapter = parse(HELSEDIR, selector=".b-chapter")

    # «Hopp til hovedinnhold» leads to the chapter: read with its headings, no sidebar.
    assert content.blocks == chapter.blocks and content.headings == chapter.headings
    # The rules before the skip link counted (trafilatura's reading) lost the headings.
    before = parse_content("page", body, extraction=1)
    assert not {before.blocks[i] for i in before.headings} & {"Tilgang til legemidler"}


_SKIPPING = """<!DOCTYPE html><html><head><title>Side</title></head><body>
<a class="skip" href="#{target}">{link}</a><div class="menu-area"><p>Tema og tjenester</p></div>
<h2 id="tittel">Veileder for kommunene</h2>
<div id="innhold"><h3>Om veilederen</h3><p>{lead}</p><p>{text}</p></div></body></html>"""
_LEAD = "Kommunen skal sørge for forsvarlige helse- og omsorgstjenester til alle som bor der."
_TEXT = "Veilederen beskriver hvordan helsepersonell bør samarbeide på tvers av nivåer. " * 6


@pytest.mark.parametrize(
    ("target", "link", "content_only"),
    [
        ("innhold", "Hopp til innhold", True),
        ("innhold", "Skip to main content", True),
        ("innhold", "Les mer om oss", False),  # not a skip link
        ("tittel", "Hopp til hovedinnhold", False),  # leads to little of the page
        ("mangler", "Hopp til innhold", False),  # leads nowhere
    ],
)
def test_only_a_skip_link_to_most_of_the_page_names_its_content(
    target: str, link: str, content_only: bool
) -> None:
    body = _SKIPPING.format(target=target, link=link, lead=_LEAD, text=_TEXT).encode()
    content = parse_content("page", body)
    read = parse_content("page", body, extraction=1)

    if content_only:  # the target as it stands, its heading included
        assert content.blocks[:2] == ("Om veilederen", _LEAD) and content.headings == {0}
        assert "Veileder for kommunene" not in content.blocks  # outside the target
        assert content != read
    else:  # read as the older rules read it
        assert content == read


def test_rss_entries_are_keyed_dated_and_reduced_to_text() -> None:
    content = parse(RSS, "feed")

    assert [e.key for e in content.entries] == ["id3041234", "id3039876", "id3038120", "id3035511"]
    first = content.entries[0]
    assert first.title == "Norge og Frankrike inngår nytt helsepartnerskap"
    assert first.published == date(2024, 6, 14)
    assert first.text.startswith("Norge og Frankrike har inngått en avtale")
    assert "– Dette partnerskapet bygger på felles verdier" in first.text
    for entry in content.entries:
        assert "<" not in entry.text and "alert(" not in entry.text
        assert "tracker" not in entry.text
    assert content.entries[2].text.startswith(
        "De nordiske helseministrene er enige om å styrke samarbeidet om legemiddelberedskap,"
    )
    assert len(content.blocks) == len(content.entries)
    assert content.headings == frozenset()


def test_atom_entries_read_html_and_xhtml_content() -> None:
    content = parse(ATOM, "feed")

    assert len(content.entries) == 3
    assert content.entries[1].text.startswith("Folkehelseprofilene for fylker")
    assert content.entries[2].text == (
        "Helse blir skapt i mange andre sektorer i tillegg til helse- og omsorgstjenesten. "
        "Derfor trenger vi kunnskap om hvordan helse påvirkes av utdanning, arbeidsliv, mat "
        "og bymiljø."
    )


def test_pdf_text_is_joined_into_paragraphs_without_running_headers() -> None:
    content = parse(PDF, "pdf")

    assert "Forord" in {content.blocks[i] for i in content.headings}
    assert not any("Side " in b and " av " in b for b in content.blocks)
    assert not any("Internasjonalt arbeid 2019" in b for b in content.blocks)
    assert (
        "Samarbeid, solidaritet og tillit er grunnleggende verdier i internasjonalt "
        "helsesamarbeid. Med FNs bærekraftsmål har verden gått sammen for å nå 17 mål som "
        "blant annet skal utrydde ekstrem fattigdom, utjevne sosiale ulikheter og bremse "
        "klimaendringene. Rammeverket for verdens helseinnsats er FNs bærekraftsmål 3, som "
        "skal sikre god helse og fremme livskvalitet for alle."
    ) in content.blocks
    assert any(b.endswith("prp201920200001hoddddpdfs.pdf") for b in content.blocks)


def test_fingerprint_ignores_dates_and_titles() -> None:
    content = parse(FHI)
    redated = Content(
        title="Another title",
        blocks=content.blocks,
        headings=content.headings,
        published=date(2030, 1, 1),
        updated=date(2030, 1, 2),
    )

    assert len(content.fingerprint) == 64
    assert redated.fingerprint == content.fingerprint
    assert compare(content, redated).changed is False


def test_summary_is_capped_and_counts_what_it_leaves_out() -> None:
    old = parse(FHI)
    extra = tuple(f"Nytt avsnitt nummer {n} om globalt helsesamarbeid." for n in range(30))
    new = Content(old.title, old.blocks + extra, old.headings, old.published, old.updated)

    result = compare(old, new, max_summary_chars=200)

    assert result.changed is True
    assert len(result.summary) <= 200
    assert result.summary.startswith("«Hva gjør vi i dag?»: Nytt avsnitt nummer 0")
    assert result.summary.splitlines()[-1].startswith("… og ")
    assert result.added == extra


def test_unified_diff_shows_added_and_removed_blocks() -> None:
    old = parse(FHI)
    new = Content(
        old.title,
        (*old.blocks[:-1], "Et nytt punkt om helsesamarbeid."),
        old.headings,
        old.published,
        old.updated,
    )

    diff = unified_diff(old, new)

    assert diff.startswith("--- før\n+++ etter")
    assert "\n+Et nytt punkt om helsesamarbeid." in diff
    assert "\n-Vi samarbeider med blant annet International Decision Support" in diff
