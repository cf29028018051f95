"""Digests: grouping by topic, newest first, each page once, truncation that never hides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.mailer.domain.digest_mail import render_digest
from services.mailer.domain.periods import period_ending_at_or_before
from services.mailer.domain.views import (
    DigestItem,
    DigestSection,
    build_digest_sections,
    latest_per_page,
)

OSLO = ZoneInfo("Europe/Oslo")
SENT_AT = datetime(2026, 11, 23, 6, 0, 5, tzinfo=UTC)
TOPICS = {"norge-i-verden": "Norge i verden", "tvers": "På tvers av sektorer"}
DAY = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def digest(env, sections, language="nb", frequency="daily", **overrides):
    period = period_ending_at_or_before(frequency, SENT_AT, tz=OSLO)
    arguments = {
        "language": language,
        "period": period,
        "sections": sections,
        "sender": "Folkehelseinstituttet <varsel@fhi.no>",
        "list_id": "varsel.fhi.no",
        "base_url": "https://www.fhi.no",
    } | overrides
    return render_digest(env, **arguments)


def send(mail, links):
    return mail.personalise(
        to="kari@example.no", links=links, message_id="<d1@varsel.fhi.no>", date=SENT_AT
    )


def page(make_change, n, hours, topics=("norge-i-verden",), **overrides):
    fields = {
        "title": f"Side {n}",
        "url": f"https://www.fhi.no/side-{n}/",
        "topic_slugs": topics,
        "topic_titles": tuple(TOPICS[slug] for slug in topics),
        "occurred_at": DAY + timedelta(hours=hours),
    }
    return make_change(**(fields | overrides))


def test_sections_follow_topic_order_items_newest_first(make_change) -> None:
    changes = [
        page(make_change, 1, 1),
        page(make_change, 2, 5, topics=("tvers",)),
        page(make_change, 3, 3),
        page(make_change, 4, 2, topics=("tvers",)),
    ]
    sections = build_digest_sections(changes, TOPICS)
    assert [s.topic_title for s in sections] == ["Norge i verden", "På tvers av sektorer"]
    assert [i.change.title for i in sections[0].items] == ["Side 3", "Side 1"]
    assert [i.change.title for i in sections[1].items] == ["Side 2", "Side 4"]
    assert all(s.hidden == 0 for s in sections)


def test_each_page_appears_once_in_its_latest_version(make_change) -> None:
    old = page(make_change, 1, 1, summary="Første versjon")
    new = page(make_change, 1, 6, summary="Siste versjon", title="Side 1 (oppdatert)")
    middle = page(make_change, 1, 3, summary="Andre versjon")
    assert latest_per_page([old, new, middle]) == [new]
    sections = build_digest_sections([old, new, middle], TOPICS)
    assert len(sections) == 1
    assert [i.change for i in sections[0].items] == [new]
    # The earlier versions stay with it, newest first, and each counts as a change.
    assert sections[0].items[0].earlier == (middle, old)
    assert sections[0].total == 3


def test_the_changes_of_pages_left_out_are_counted(make_change) -> None:
    changes = [page(make_change, 1, 1), page(make_change, 1, 2), page(make_change, 2, 3)]
    [section] = build_digest_sections(changes, TOPICS, per_topic_limit=1)
    assert [i.change.title for i in section.items] == ["Side 2"]
    assert (section.hidden, section.total) == (2, 3)


def test_changes_whose_links_were_left_out_are_each_kept(
    env, make_change, links, parse_mail
) -> None:
    first = page(make_change, 1, 1, title="Sak uten lenke", url="/nyheter/a")
    second = page(make_change, 2, 2, title="Sak med rar lenke", url="javascript:alert(1)")
    assert first.url is None and second.url is None
    assert latest_per_page([first, second]) == [first, second]
    sections = build_digest_sections([first, second], TOPICS)
    mail = parse_mail(send(digest(env, sections), links))
    for title in ("Sak uten lenke", "Sak med rar lenke"):
        assert title in mail.text and title in mail.html


def test_feed_items_that_link_to_their_feed_are_each_kept(make_change) -> None:
    # Items without a link of their own link to the feed they came from: the same URL.
    feed = "https://www.regjeringen.no/no/rss/hod-nyheter/"
    first = page(make_change, 1, 1, title="Første sak", url=feed, kind="feed")
    second = page(make_change, 2, 2, title="Andre sak", url=feed, kind="feed")
    again = page(make_change, 1, 3, title="Første sak", url=feed, kind="feed", summary="Ny")
    assert latest_per_page([first, second, again]) == [again, second]
    pages = [page(make_change, 1, 1, title="Side"), page(make_change, 1, 2, title="Side (ny)")]
    assert latest_per_page(pages) == [pages[1]]


def test_page_in_two_of_my_topics_is_shown_once_and_names_the_other(make_change) -> None:
    shared = page(make_change, 1, 1, topics=("tvers", "norge-i-verden"))
    sections = build_digest_sections([shared], TOPICS)
    assert len(sections) == 1
    assert sections[0].topic_title == "Norge i verden"  # the person's first topic
    assert sections[0].items == (DigestItem(shared, ("På tvers av sektorer",)),)


def test_changes_outside_my_topics_are_never_included(make_change) -> None:
    stranger = make_change(
        url="https://www.fhi.no/annet/",
        topic_slugs=("annet",),
        topic_titles=("Annet",),
    )
    assert build_digest_sections([stranger], TOPICS) == []


def test_truncation_keeps_count_and_link(make_change) -> None:
    changes = [page(make_change, n, n) for n in range(25)]
    sections = build_digest_sections(
        changes,
        TOPICS,
        per_topic_limit=10,
        more_url=lambda slug: f"https://www.fhi.no/varsel/emne/{slug}",
    )
    (section,) = sections
    assert len(section.items) == 10
    assert section.hidden == 15
    assert section.total == 25
    assert section.items[0].change.title == "Side 24"  # newest kept
    assert section.more_url == "https://www.fhi.no/varsel/emne/norge-i-verden"


@pytest.mark.parametrize(
    ("language", "more", "see_all"),
    [
        (
            "nb",
            "15 endringer til i «Norge i verden» vises ikke her.",
            "Se alle endringer i «Norge i verden»",
        ),
        (
            "en",
            "15 more changes in “Norge i verden” are not shown here.",
            "See all changes in “Norge i verden”",
        ),
    ],
)
def test_truncated_digest_says_so_and_links_to_the_rest(
    env, make_change, links, parse_mail, language, more, see_all
) -> None:
    changes = [page(make_change, n, n) for n in range(25)]
    more_url = "https://www.fhi.no/varsel/emne/norge-i-verden"
    sections = build_digest_sections(
        changes, TOPICS, per_topic_limit=10, more_url=lambda slug: more_url
    )
    mail = parse_mail(send(digest(env, sections, language), links))
    for part in (mail.text, mail.html):
        assert more in part
        assert see_all in part
        assert "Side 24" in part and "Side 15" in part
        assert "Side 14" not in part
    assert more_url in mail.text.splitlines()
    assert more_url in mail.page.hrefs


def test_without_a_topic_page_the_rest_is_on_the_manage_page(
    env, make_change, links, parse_mail
) -> None:
    changes = [page(make_change, n, n) for n in range(3)]
    sections = build_digest_sections(changes, TOPICS, per_topic_limit=1)
    mail = parse_mail(send(digest(env, sections), links))
    assert "2 endringer til i «Norge i verden» vises ikke her." in mail.text
    assert mail.page.hrefs.count(links.manage_url) == 2  # "see the rest" and the footer
    assert mail.text.splitlines().count(links.manage_url) == 2


def test_one_hidden_change_uses_the_singular(env, make_change, links, parse_mail) -> None:
    sections = build_digest_sections(
        [page(make_change, n, n) for n in range(2)], TOPICS, per_topic_limit=1
    )
    mail = parse_mail(send(digest(env, sections, "en"), links))
    assert "1 more change in “Norge i verden” is not shown here." in mail.text


@pytest.mark.parametrize(
    ("language", "frequency", "subject", "period"),
    [
        (
            "nb",
            "daily",
            "Daglig oppsummering fra www.fhi.no: 3 endringer",
            "Endringer fra 22. november 2026, 07:00 til 23. november 2026, 07:00.",
        ),
        (
            "en",
            "daily",
            "Daily digest from www.fhi.no: 3 changes",
            "Changes from 22 November 2026, 07:00 to 23 November 2026, 07:00.",
        ),
        (
            "nb",
            "weekly",
            "Ukentlig oppsummering fra www.fhi.no: 3 endringer",
            "Endringer fra 16. november 2026, 07:00 til 23. november 2026, 07:00.",
        ),
        (
            "en",
            "weekly",
            "Weekly digest from www.fhi.no: 3 changes",
            "Changes from 16 November 2026, 07:00 to 23 November 2026, 07:00.",
        ),
    ],
)
def test_digest_names_its_period_and_groups_by_topic(
    env, make_change, links, parse_mail, language, frequency, subject, period
) -> None:
    changes = [
        page(make_change, 1, 1),
        page(make_change, 2, 2, topics=("tvers",)),
        page(make_change, 3, 3),
    ]
    sections = build_digest_sections(changes, TOPICS)
    mail = parse_mail(send(digest(env, sections, language, frequency), links))
    assert mail.message["Subject"] == subject
    assert mail.message["List-Unsubscribe"] == f"<{links.one_click_url}>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.page.html_lang == language
    for part in (mail.text, mail.html):
        assert period in part
        # Topic headings in order, items newest first inside each.
        order = [
            part.index(x) for x in ("Norge i verden", "Side 3", "Side 1", "På tvers", "Side 2")
        ]
        assert order == sorted(order)
    assert mail.page.tags.count("h2") == 2
    assert mail.page.tags.count("h3") == 3
    for n in (1, 2, 3):
        assert f"https://www.fhi.no/side-{n}/" in mail.page.hrefs
        assert f"https://www.fhi.no/side-{n}/" in mail.text.splitlines()
    assert links.unsubscribe_url in mail.page.hrefs
    assert links.unsubscribe_url in mail.text.splitlines()
    assert links.manage_url in mail.page.hrefs


def test_hostile_content_in_a_digest_is_escaped(env, make_change, links, parse_mail) -> None:
    hostile = '<script>alert(1)</script>"><img src=x>'
    sections = [
        DigestSection(
            topic_title=hostile,
            items=(
                DigestItem(page(make_change, 1, 1, title=hostile, summary=hostile), (hostile,)),
            ),
        )
    ]
    mail = parse_mail(send(digest(env, sections), links))
    assert "<script" not in mail.html and "<img" not in mail.html
    assert "img" not in mail.page.tags
    assert hostile in mail.text


def test_an_empty_digest_is_refused(env) -> None:
    with pytest.raises(ValueError, match="at least one change"):
        digest(env, [])


def test_section_rejects_a_non_http_more_link(make_change) -> None:
    with pytest.raises(ValueError):
        DigestSection(topic_title="x", items=(), more_url="javascript:alert(1)")
    with pytest.raises(ValueError):
        DigestSection(topic_title="x", items=(), hidden=-1)
    with pytest.raises(ValueError):
        build_digest_sections([], TOPICS, per_topic_limit=0)
