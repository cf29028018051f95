"""Measure the per-recipient cost of personalising a rendered alert.

Run: ``.venv/bin/python tests/unit/mailer/bench_personalise.py [count]``. Not collected by pytest.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime

from services.mailer.domain.alert_mail import render_alert
from services.mailer.domain.mail_templates import build_environment
from services.mailer.domain.mime import RecipientLinks
from services.mailer.domain.views import ChangeView


def main(count: int = 100_000) -> None:
    """Render one alert, personalise it ``count`` times, print the cost per message."""
    change = ChangeView(
        title="Norge i verden: ny rapport om global helse",
        url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
        topic_slugs=("norge-i-verden",),
        topic_titles=("Norge i verden",),
        published=date(2024, 3, 3),
        updated=date(2025, 8, 18),
        summary="Nytt avsnitt om Norges bidrag til global helse. Tabell 2 er oppdatert.",
        occurred_at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    )
    started = time.perf_counter()
    mail = render_alert(
        build_environment(),
        language="nb",
        change=change,
        topic_title="Norge i verden",
        sender="Folkehelseinstituttet <varsel@fhi.no>",
        list_id="varsel.fhi.no",
        base_url="https://www.fhi.no",
    )
    rendered = time.perf_counter() - started
    base = "https://varsel.fhi.no"
    recipients = [
        (
            f"person{i}@example.no",
            RecipientLinks(
                manage_url=f"{base}/manage/{i:08d}.Zm9vYmFyYmF6cXV4cXV1eA?lang=nb",
                unsubscribe_url=f"{base}/unsubscribe/{i:08d}.Zm9vYmFyYmF6cXV4cXV1eA",
                one_click_url=f"{base}/one-click/{i:08d}.Zm9vYmFyYmF6cXV4cXV1eA",
            ),
            f"<{i}.alert.1@varsel.fhi.no>",
        )
        for i in range(count)
    ]
    now = datetime.now(UTC)
    size = 0
    started = time.perf_counter()
    for to, links, message_id in recipients:
        size += len(mail.personalise(to=to, links=links, message_id=message_id, date=now))
    elapsed = time.perf_counter() - started
    print(f"render once: {rendered * 1e3:.1f} ms")
    print(
        f"personalise: {count} messages in {elapsed:.2f} s = "
        f"{elapsed / count * 1e6:.1f} µs/message, {size / count:.0f} bytes/message"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
