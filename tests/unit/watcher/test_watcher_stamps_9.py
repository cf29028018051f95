"""A page's or feed entry's own stamp, in the wordings extraction 9 first knows, is no change;
a sentence that holds a date is content still.

Each was left in the compared text before, so a page whose stamp moved mailed every follower
the new stamp. A source stored under extraction 8 is judged by it once more (docs/decisions/
0017), so that reading must stay as it was.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.watcher.domain.content import parse_content
from services.watcher.domain.model import MORE_STAMPS
from tests.unit.watcher.stamps_support import (
    PAGE_CONTENT,
    STAMPED_PAGE,
    entry_stamp_moves_alone,
    moves_alone,
    stays_content,
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Denne siden ble sist oppdatert 5. mars 2024.</p>",
         "<p>Denne siden ble sist oppdatert 6. mars 2024.</p>"),
        ("<p>Siden er sist oppdatert 05.03.2024</p>", "<p>Siden er sist oppdatert 06.03.2024</p>"),
        ("<p>Sidan er sist oppdatert 05.03.2024</p>", "<p>Sidan er sist oppdatert 06.03.2024</p>"),
        ("<p>Publisert 03.02.2021, oppdatert 05.03.2024</p>",
         "<p>Publisert 03.02.2021, oppdatert 06.03.2024</p>"),
        ("<p>Oppdatert 09:12</p>", "<p>Oppdatert 09:13</p>"),
        ("<p>Oppdatert 14:30 15.03.2021</p>", "<p>Oppdatert 14:31 16.03.2021</p>"),
        ("<p>Sist oppdatert 16. mars</p>", "<p>Sist oppdatert 17. mars</p>"),
        ("<p>Page last updated: 5 March 2024</p>", "<p>Page last updated: 6 March 2024</p>"),
        ("<p>Sist gjennomgått 05.03.2024</p>", "<p>Sist gjennomgått 06.03.2024</p>"),
        ("<p>Revidert 05.03.2024</p>", "<p>Revidert 06.03.2024</p>"),
        ("<p>Hentet 05.03.2024 kl. 10:12</p>", "<p>Hentet 05.03.2024 kl. 10:13</p>"),
        ("<p>Generert 2024-03-05 10:12</p>", "<p>Generert 2024-03-05 10:13</p>"),
        ("<dl><dt>Denne siden ble sist oppdatert</dt><dd>09:12</dd></dl>",
         "<dl><dt>Denne siden ble sist oppdatert</dt><dd>09:13</dd></dl>"),
    ],
    ids=["denne-siden", "siden-er", "sidan-er", "lower-after-comma", "time-no-kl",
         "time-before-date", "no-year", "page-last-updated", "gjennomgatt", "revidert", "hentet",
         "generert", "dt-dd"],
)  # fmt: skip
def test_a_stamp_in_extraction_9s_wordings_is_no_change(before: str, after: str) -> None:
    moves_alone(before, after, older=MORE_STAMPS - 1)


@pytest.mark.parametrize(
    "text",
    [
        "Regjeringen la 5. mars 2024 fram planen, oppdatert med nye tall fra kommunene.",
        "Revidert nasjonalbudsjett ble lagt fram 14. mai 2024.",
        "Siden 5. mars 2024 har kommunen bygget tre nye skoler.",
        "Denne siden handler om vaksiner, og møtet er 16. mars kl. 09:12.",
        "Hentet fra Folkehelseinstituttet 5. mars 2024: tallene for influensa.",
        "Publisert i Tidsskriftet 5. mars 2024, og oppdatert i høst.",
    ],
)
def test_a_sentence_that_holds_a_date_is_content_still(text: str) -> None:
    # The news itself: a change of its date is a change.
    moved = text.replace("5. mars", "6. mars").replace("14. mai", "15. mai")
    stays_content(text, moved.replace("16. mars", "17. mars"))


@pytest.mark.parametrize(
    ("stamp", "published", "updated"),
    [
        ("<p>Denne siden ble sist oppdatert 5. mars 2024.</p>", None, date(2024, 3, 5)),
        ("<p>Publisert 03.02.2021, oppdatert 05.03.2024</p>", date(2021, 2, 3), date(2024, 3, 5)),
        ("<p>Oppdatert 14:30 15.03.2021</p>", None, date(2021, 3, 15)),
        ("<p>Page last updated: 5 March 2024</p>", None, date(2024, 3, 5)),
        ("<p>Revidert 05.03.2024</p>", None, date(2024, 3, 5)),
        # No year, or when the text was fetched or made: no date of the page's own.
        ("<p>Sist oppdatert 16. mars</p>", None, None),
        ("<p>Hentet 05.03.2024</p>", None, None),
    ],
    ids=["denne-siden", "lower-after-comma", "time-before-date", "page-last-updated",
         "revidert", "no-year", "hentet"],
)  # fmt: skip
def test_a_stamp_of_extraction_9_dates_the_page(
    stamp: str, published: date | None, updated: date | None
) -> None:
    content = parse_content("page", STAMPED_PAGE.format(stamp=stamp).encode())
    assert content.blocks == PAGE_CONTENT
    assert (content.published, content.updated) == (published, updated)


def test_a_feed_entrys_stamp_in_extraction_9s_wordings_moving_alone_is_no_update() -> None:
    entry_stamp_moves_alone(
        "<p>Oppdatert 09:12</p>", "<p>Oppdatert 09:13</p>", older=MORE_STAMPS - 1
    )
