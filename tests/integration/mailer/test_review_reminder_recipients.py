"""Who a waiting change is mailed to: the editors its topics name, or every editor as before.

Real database (SQLite and PostgreSQL) and a real SMTP server on loopback; the topic's editors
come from the catalogue as applied, the addresses from the admin's accounts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.admin import catalogue as admin_catalogue
from shared.catalogue_file import parse_catalogue_text
from shared.db import transaction
from tests.integration.mailer.harness import Harness
from tests.integration.mailer.review_support import EDITOR, REVIEW_CATALOGUE, reviewed, staff

__all__ = ["reviewed"]  # the fixture, used by name

OPERATOR = "d@fhi.no"  # "drift", an operator account with an address (see staff)


@pytest.fixture
def harness_settings() -> dict[str, object]:
    return {"review_reminder_after": "2h"}


async def _name_editors(harness: Harness, *names: str) -> None:
    """Apply the review catalogue with its reviewed topic naming these editors."""
    listed = ", ".join(f'"{name}"' for name in names)
    named = REVIEW_CATALOGUE.replace(
        'slug = "norge-i-verden"\n', f'slug = "norge-i-verden"\neditors = [{listed}]\n', 1
    )
    wanted = parse_catalogue_text(named, "test")
    topic = wanted.topic("norge-i-verden")
    assert topic is not None and topic.editors == names
    async with transaction(harness.runtime.sessions) as session:
        await admin_catalogue.apply(
            session,
            wanted,
            actor="test",
            client="127.0.0.1",
            origin="test",
            now=harness.clock.now(),
        )
    await harness.relay()


async def _reminded(harness: Harness) -> list[list[str]]:
    await harness.change("Venter lenge")
    harness.clock.advance(timedelta(hours=3))
    assert await harness.mailer.reminders.remind_overdue() == 1
    assert await harness.mailer.reminders.remind_overdue() == 0, "once"
    await harness.send_all()
    return sorted(mail.recipients for mail in harness.received())


async def test_a_topic_that_names_editors_has_its_changes_mailed_to_them_only(
    reviewed: Harness,
) -> None:
    await staff(reviewed)
    # "uten" has no address, "nobody" is no account: only the operator can be written to.
    await _name_editors(reviewed, "drift", "uten", "nobody")
    assert await _reminded(reviewed) == [[OPERATOR]], "not every editor: the topic's own"


async def test_a_topic_whose_editors_have_no_address_falls_back_to_every_editor(
    reviewed: Harness,
) -> None:
    await staff(reviewed)
    await _name_editors(reviewed, "uten")
    assert await _reminded(reviewed) == [[EDITOR]], "every editor with an address, no operator"


async def test_a_topic_naming_nobody_reminds_every_editor(reviewed: Harness) -> None:
    await staff(reviewed)
    assert await _reminded(reviewed) == [[EDITOR]]
