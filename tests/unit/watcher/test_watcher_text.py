"""Date parsing and text normalisation, as data/expected pairs."""

from __future__ import annotations

from datetime import date

import pytest

from services.watcher.domain.dates import find_labelled_dates, parse_date, parse_pdf_date
from services.watcher.domain.normalise import is_boilerplate, normalise_text, strip_date_phrases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18. august 2022", date(2022, 8, 18)),
        ("Sist faglig oppdatert: 18. august 2022", date(2022, 8, 18)),
        ("Publisert 03.02.2021", date(2021, 2, 3)),
        ("Oppdatert 5. mars 2024", date(2024, 3, 5)),
        ("12. desember 2024", date(2024, 12, 12)),
        ("1. okt. 2023", date(2023, 10, 1)),
        ("5.3.24", date(2024, 3, 5)),
        ("2021-02-03", date(2021, 2, 3)),
        ("2021-02-03T09:00:00+01:00", date(2021, 2, 3)),
        ("Fri, 14 Jun 2024 09:30:00 +0200", date(2024, 6, 14)),
        ("August 18, 2022", date(2022, 8, 18)),
        ("18 Aug 2022", date(2022, 8, 18)),
        ("31.02.2021", None),
        ("ingen dato her", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Publisert 03.02.2021 | Oppdatert 5. mars 2024", (date(2021, 2, 3), date(2024, 3, 5))),
        ("Sist faglig oppdatert: 18. august 2022", (None, date(2022, 8, 18))),
        (
            "Published 3 February 2021 Last updated 14 June 2021",
            (date(2021, 2, 3), date(2021, 6, 14)),
        ),
        ("Veilederen ble oppdatert 5. mars 2024 med nye råd.", (None, None)),
        ("Publisert Oppdatert", (None, None)),
    ],
)
def test_find_labelled_dates(text: str, expected: tuple[date | None, date | None]) -> None:
    assert find_labelled_dates(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20200615090000Z", date(2020, 6, 15)),
        ("D:20220818093000+02'00'", date(2022, 8, 18)),
        ("D:2019", date(2019, 1, 1)),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_pdf_date(value: object, expected: date | None) -> None:
    assert parse_pdf_date(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  helse\u00adberedskap  ", "helseberedskap"),
        ("Frem\u00a0mot\u202f2030", "Frem mot 2030"),
        ("solide\u200b data\ufeff", "solide data"),
        ("bærekraftsma\u030alene", "bærekraftsmålene"),
        ("\ufb01nansiering", "finansiering"),
        ("linje en\n\n\tlinje  to", "linje en linje to"),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Publisert Oppdatert", ""),
        ("Publisert 03.02.2021 Oppdatert 14.06.2021", ""),
        ("Publisert 03.02.2021 | Oppdatert 5. mars 2024", ""),
        ("Sist faglig oppdatert: 18. august 2022", ""),
        ("Oppdatert 14.06.2021 kl. 12.30", ""),
        (
            "Veilederen ble oppdatert 5. mars 2024 med nye råd.",
            "Veilederen ble oppdatert 5. mars 2024 med nye råd.",
        ),
        ("Rapporten. Sist oppdatert 2. januar 2025", "Rapporten."),
    ],
)
def test_strip_date_phrases(text: str, expected: str) -> None:
    assert strip_date_phrases(text) == expected


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("Få varsel ved oppdateringer av «Norge i verden»", True),
        ("Hvor ofte ønsker du å motta varsler fra fhi.no? (Gjelder alle dine varsler)", True),
        ("Get alerts of updates about «Global health»", True),
        ("Du benytter en nettleser vi ikke støtter. Se informasjon om nettlesere", True),
        ("Vi bruker informasjonskapsler (cookies) for å få statistikk. Godta alle", True),
        ("Denne nettsiden bruker informasjonskapsler", True),
        ("Helse blir skapt i mange andre sektorer.", False),
        ("Informasjonskapsler " + "er små tekstfiler som nettsteder lagrer. " * 20, False),
    ],
)
def test_is_boilerplate(block: str, expected: bool) -> None:
    assert is_boilerplate(block) is expected
