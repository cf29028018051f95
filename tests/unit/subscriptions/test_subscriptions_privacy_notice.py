"""The privacy notice is the organisation's: front matter, versions from the text, the example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.subscriptions.adapters.privacy_notice_files import EXAMPLE, load_notices
from services.subscriptions.domain.privacy import NoticeProblem, parse_notice
from shared.vocabulary import Language
from shared.web.documents import DocumentError

NOTICE = """---
date: 2026-05-01
controller: Kommunen, Rådhusgata 1, 0001 Oslo
contact: personvern@kommunen.example
---
## Hvem er ansvarlig

Kommunen.
"""

# What GDPR art. 13 requires a notice to tell, as each language of the bundled example says it:
# controller and contact, the DPO, purposes, legal basis, retention, recipients, and the rights
# of access, rectification, erasure, withdrawal, and complaint to the supervisory authority.
ART_13 = {
    Language.NB: [
        "Behandlingsansvarlig",
        "personvern@eksempel.no",
        "Personvernombud",
        "Hva vi bruker opplysningene til",
        "Rettslig grunnlag",
        "Hvor lenge vi lagrer",
        "Hvem som får opplysningene",
        "innsyn",
        "rettet",
        "slettet",
        "trekke tilbake samtykket",
        "Datatilsynet",
    ],
    Language.NN: [
        "Behandlingsansvarleg",
        "personvern@eksempel.no",
        "Personvernombod",
        "Kva vi brukar opplysningane til",
        "Rettsleg grunnlag",
        "Kor lenge vi lagrar",
        "Kven som får opplysningane",
        "innsyn",
        "retta",
        "sletta",
        "trekkje tilbake samtykket",
        "Datatilsynet",
    ],
    Language.EN: [
        "Controller",
        "personvern@eksempel.no",
        "Data protection officer",
        "What we use the data for",
        "Legal basis",
        "How long we keep",
        "Who receives the data",
        "access",
        "rectified",
        "erased",
        "withdraw your consent",
        "Datatilsynet",
    ],
}


def test_a_version_is_the_operators_date_and_the_start_of_the_texts_hash() -> None:
    notice = parse_notice(Language.NB, NOTICE)
    assert re.fullmatch(r"2026-05-01\.[0-9a-f]{12}", notice.version)
    assert notice.version.endswith(notice.sha256[:12]) and len(notice.version) <= 40
    assert notice.body.startswith("## Hvem er ansvarlig")
    # Any change of text is a new version, even when the date stays.
    edited = parse_notice(Language.NB, NOTICE.replace("Kommunen.", "Kommunen, avdeling IT."))
    assert edited.version != notice.version and edited.version.startswith("2026-05-01.")
    # Line endings do not make another text.
    assert parse_notice(Language.NB, NOTICE.replace("\n", "\r\n")).version == notice.version


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("## Bare tekst\n", "must start with front matter"),
        (NOTICE.replace("controller: Kommunen, Rådhusgata 1, 0001 Oslo\n", ""), "controller"),
        (NOTICE.replace("contact: personvern@kommunen.example\n", ""), "contact"),
        (NOTICE.replace("contact: personvern@kommunen.example", "contact:"), "contact"),
        (NOTICE.replace("date: 2026-05-01\n", ""), "date"),
        (NOTICE.replace("2026-05-01", "1. mai 2026"), "is not a date"),
        (NOTICE.replace("date: 2026-05-01", "date 2026-05-01"), "line 2 is not 'key: value'"),
        (NOTICE.split("---\n## ")[0] + "---\n", "no text after the front matter"),
    ],
)
def test_a_notice_without_what_art_13_asks_first_is_refused(source: str, reason: str) -> None:
    with pytest.raises(NoticeProblem, match=re.escape(reason)):
        parse_notice(Language.NB, source)


@pytest.mark.parametrize("language", list(Language))
def test_the_bundled_example_names_every_element_art_13_asks_for(language: Language) -> None:
    notice = load_notices(None).current(language)
    assert notice.language == language.value
    head = notice.text.split("---")[1]
    for key in ("controller", "contact", "dpo"):
        assert re.search(rf"^{key}: \S", head, re.M), key
    missing = [words for words in ART_13[language] if words not in notice.body]
    assert missing == []


def test_a_gap_names_the_setting_and_the_file(tmp_path: Path) -> None:
    folder = tmp_path
    for language in ("nb", "nn"):
        (folder / f"{language}.md").write_text(NOTICE, encoding="utf-8")
    with pytest.raises(DocumentError, match=r"VARSEL_PRIVACY_NOTICE_DIR: .*en\.md"):
        load_notices(folder)
    (folder / "en.md").write_text(NOTICE.replace("contact: personvern@kommunen.example\n", ""))
    with pytest.raises(DocumentError) as refused:
        load_notices(folder)
    assert str(folder / "en.md") in str(refused.value) and "contact" in str(refused.value)
    assert EXAMPLE.is_dir()
