"""The immediate alert: headers, both parts in both languages, links, escaping, privacy."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime

import pytest

from services.mailer.domain.alert_mail import render_alert
from services.mailer.domain.mime import RecipientLinks
from services.mailer.domain.operator_mail import notice_bytes, render_operator_mail
from shared.events import SourceFailing

SENDER = "Folkehelseinstituttet <varsel@fhi.no>"
HOSTILE = 'Norge i verden <script>alert(1)</script>"><img src=x onerror=alert(2)>'
SENT_AT = datetime(2026, 11, 22, 6, 0, 0, tzinfo=UTC)

WORDS = {
    "nb": {
        "intro": "Det er en oppdatering i «Norge i verden»:",
        "subject": "Oppdatering i «Norge i verden»: Norge i verden",
        "published": "Publisert: 3. mars 2024",
        "updated": "Oppdatert: 18. august 2025",
        "summary": "Dette er endret:",
        "manage": "Endre varslene dine",
        "unsubscribe": "Avslutt alle varsler og slett e-postadressen din",
        "promise": "Du kan når som helst avslutte dine varsler og slette din e-postadresse",
        "why": "fordi du har bedt om varsler om «Norge i verden» fra www.fhi.no.",
        "frequency": "Hyppighet: straks (gjelder alle dine varsler).",
    },
    "en": {
        "intro": "There is an update in “Norge i verden”:",
        "subject": "Update in “Norge i verden”: Norge i verden",
        "published": "Published: 3 March 2024",
        "updated": "Updated: 18 August 2025",
        "summary": "What changed:",
        "manage": "Change your alerts",
        "unsubscribe": "Cancel all alerts and delete your email address",
        "promise": "You can cancel your alerts and delete your email address at any time",
        "why": "because you asked for alerts about “Norge i verden” from www.fhi.no.",
        "frequency": "Frequency: immediately (this affects all your alerts).",
    },
}


def alert(env, change, language="nb", **overrides):
    arguments = {
        "language": language,
        "change": change,
        "topic_title": "Norge i verden",
        "sender": SENDER,
        "list_id": "varsel.fhi.no",
        "base_url": "https://www.fhi.no",
    } | overrides
    return render_alert(env, **arguments)


def send(mail, links, to="ola.nordmann@example.no", message_id="<c1.s1@varsel.fhi.no>"):
    return mail.personalise(to=to, links=links, message_id=message_id, date=SENT_AT)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_alert_headers(env, make_change, links, parse_mail, language) -> None:
    mail = parse_mail(send(alert(env, make_change(), language), links))
    headers = mail.message
    assert headers["From"] == SENDER
    assert headers["To"] == "ola.nordmann@example.no"
    assert len(headers["To"].addresses) == 1
    for absent in ("Cc", "Bcc", "Reply-To"):
        assert headers[absent] is None
    assert headers["Subject"] == WORDS[language]["subject"]
    assert headers["Date"].datetime == SENT_AT
    assert headers["Message-ID"] == "<c1.s1@varsel.fhi.no>"
    assert headers["List-Id"] == "<varsel.fhi.no>"
    assert headers["List-Unsubscribe"] == f"<{links.one_click_url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["MIME-Version"] == "1.0"
    assert headers["Content-Language"] == language
    for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
        assert len(headers.get_all(name)) == 1


def test_raw_message_is_ascii_with_crlf_line_endings_and_short_lines(
    env, make_change, links
) -> None:
    raw = send(alert(env, make_change(title="Øvre luftveier: æøå og «sitater»"), "nb"), links)
    assert raw.isascii()  # non-ASCII subject as RFC 2047, bodies quoted-printable
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))


@pytest.mark.parametrize("language", ["nb", "en"])
def test_both_parts_carry_the_content_in_the_right_language(
    env, make_change, links, parse_mail, language
) -> None:
    change = make_change()
    mail = parse_mail(send(alert(env, change, language), links))
    for part in (mail.text, mail.html):
        for phrase in WORDS[language].values():
            if phrase != WORDS[language]["subject"]:
                assert phrase in part, phrase
        assert "Norges bidrag til global helse" in part
    other = "en" if language == "nb" else "nb"
    for key in ("manage", "unsubscribe", "summary"):
        assert WORDS[other][key] not in mail.text
        assert WORDS[other][key] not in mail.html
    assert mail.page.html_lang == language
    assert "h1" in mail.page.tags


@pytest.mark.parametrize("language", ["nb", "en"])
def test_links_are_the_ones_passed_in_unchanged_in_both_parts(
    env, make_change, links, parse_mail, language
) -> None:
    change = make_change(url="https://www.fhi.no/sok/?q=norge&side=2")
    mail = parse_mail(send(alert(env, change, language), links))
    text_lines = mail.text.splitlines()
    for url in (change.url, links.manage_url, links.unsubscribe_url):
        assert url in text_lines  # written out in full, on a line of its own
        assert url in mail.page.hrefs
    # No rewritten or tracking links: every link is one we gave, or the site's own.
    assert set(mail.page.hrefs) == {
        change.url,
        links.manage_url,
        links.unsubscribe_url,
        f"https://www.fhi.no/?lang={language}",  # the topic index, in the mail's language
    }
    assert links.one_click_url not in mail.text  # the POST target is for the header only


def test_hostile_page_title_is_escaped_in_html_and_harmless_in_the_subject(
    env, make_change, links, parse_mail
) -> None:
    mail = parse_mail(send(alert(env, make_change(title=HOSTILE, summary=HOSTILE)), links))
    assert "<script" not in mail.html
    assert "<img" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "&#34;&gt;&lt;img src=x" in mail.html
    assert "script" not in mail.page.tags and "img" not in mail.page.tags
    assert HOSTILE in mail.text  # plain text shows it as the text it is
    assert HOSTILE in mail.message["Subject"]
    assert not any(name.startswith("on") for name, _ in mail.page.attrs)


def test_crlf_in_title_cannot_inject_headers(env, make_change, links, parse_mail) -> None:
    title = "Ny rapport\r\nBcc: everyone@example.com\r\n\r\n<b>body</b>\nX-Evil: 1"
    mail = parse_mail(send(alert(env, make_change(title=title)), links))
    assert mail.message["Bcc"] is None
    assert mail.message["X-Evil"] is None
    subject = mail.message["Subject"]
    assert "\r" not in subject and "\n" not in subject
    assert subject.endswith("Ny rapport Bcc: everyone@example.com <b>body</b> X-Evil: 1")
    assert len(mail.message.get_all("To")) == 1


@pytest.mark.parametrize(
    "title",
    [
        # A watched page's heading that spells line breaks as an RFC 2047 encoded word: the
        # header registry would decode it and write the breaks into the header as they are.
        "Ny rapport =?utf-8?q?=0D=0AReply-To:_x@evil.example=0D=0A=0D=0AClick_here?=",
        "Ny rapport =?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?= slutt",
        "=?us-ascii?q?plain?= text that only looks encoded",
    ],
)
def test_encoded_words_in_a_title_are_shown_as_written(
    env, make_change, links, parse_mail, title
) -> None:
    raw = send(alert(env, make_change(title=title)), links)
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in b" \t"]
    assert b"Reply-To" not in names and b"Bcc" not in names
    assert len(names) == len(set(names))  # every header once, none added
    mail = parse_mail(raw)
    assert mail.message["Subject"].endswith(f"Norge i verden»: {title}")
    assert "\r" not in mail.message["Subject"] and "\n" not in mail.message["Subject"]


def test_encoded_words_in_a_failing_page_title_stay_out_of_operator_headers(env) -> None:
    title = "Ny rapport =?utf-8?q?=0D=0AReply-To:_x@evil.example=0D=0A=0D=0AClick_here?="
    event = SourceFailing(
        source_id=1, source_url="https://www.fhi.no/side", title=title, failures=3, last_error="x"
    )
    mail = render_operator_mail(
        env, event, site="fhi.no", base_url="https://www.fhi.no", admin_url="https://a.no"
    )
    raw = notice_bytes(mail, sender=SENDER, recipient="drift@fhi.no", message_id="<n1@fhi.no>")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Reply-To"] is None
    assert message["Subject"].endswith(title)
    assert message.get_content_type() == "multipart/alternative"


def test_topic_title_with_line_breaks_is_flattened(env, make_change, links, parse_mail) -> None:
    mail = parse_mail(
        send(alert(env, make_change(), topic_title="Norge\ni verden\r\nBcc: x@y.no"), links)
    )
    assert mail.message["Bcc"] is None
    assert "«Norge i verden Bcc: x@y.no»" in mail.message["Subject"]


def test_no_remote_resources_or_tracking_in_html(env, make_change, links, parse_mail) -> None:
    mail = parse_mail(send(alert(env, make_change()), links))
    forbidden_tags = {"img", "link", "script", "iframe", "object", "embed", "video", "audio"}
    assert not forbidden_tags & set(mail.page.tags)
    assert not {"src", "srcset", "background", "style"} & {
        name for name, _ in mail.page.attrs if name != "style"
    }
    lowered = mail.html.lower()
    for marker in ("<img", "url(", "@import", "<link", "src="):
        assert marker not in lowered
    assert "<style" not in lowered  # inline styles only, no external CSS


def test_undated_page_and_empty_summary_render_cleanly(env, make_change, links, parse_mail) -> None:
    change = make_change(published=None, updated=None, summary="")
    mail = parse_mail(send(alert(env, change), links))
    for part in (mail.text, mail.html):
        assert "Publisert" not in part
        assert "Oppdatert" not in part
        assert "Dette er endret" not in part
    assert '<p style="margin:0 0 8px; color:#333333; font-size:14px;">\n</p>' not in mail.html


def test_privacy_link_is_included_when_configured(env, make_change, links, parse_mail) -> None:
    mail = alert(env, make_change(), privacy_url="https://www.fhi.no/om/personvern/")
    parsed = parse_mail(send(mail, links))
    # In the mail's language, not the browser's.
    assert "https://www.fhi.no/om/personvern/?lang=nb" in parsed.page.hrefs
    assert "Les mer om personvern" in parsed.html
    assert "https://www.fhi.no/om/personvern/?lang=nb" in parsed.text.splitlines()


def test_one_rendering_serves_many_recipients_without_leaks(env, make_change, parse_mail) -> None:
    mail = alert(env, make_change())
    people = {
        f"person{i}@example.no": RecipientLinks(
            manage_url=f"https://varsel.fhi.no/manage/tok{i}",
            unsubscribe_url=f"https://varsel.fhi.no/unsubscribe/tok{i}",
            one_click_url=f"https://varsel.fhi.no/one-click/tok{i}",
        )
        for i in range(3)
    }
    raws = {to: send(mail, links, to=to) for to, links in people.items()}
    for to, raw in raws.items():
        parsed = parse_mail(raw)
        assert parsed.message["To"] == to
        mine = people[to]
        assert mine.manage_url in parsed.page.hrefs
        assert parsed.message["List-Unsubscribe"] == f"<{mine.one_click_url}>"
        for other, theirs in people.items():
            if other != to:
                assert other.encode() not in raw
                assert theirs.manage_url not in parsed.text
                assert theirs.unsubscribe_url not in parsed.html


def test_sentinels_never_reach_the_recipient(env, make_change, links) -> None:
    raw = send(alert(env, make_change()), links)
    assert not re.search(rb"VARSEL[0-9a-f]{20}", raw)
    assert not re.search(rb"(MANAGEURL|UNSUBSCRIBEURL)X", raw)


def test_an_alert_needs_the_recipient_links(env, make_change) -> None:
    mail = alert(env, make_change())
    with pytest.raises(ValueError, match="links"):
        mail.personalise(to="a@example.no", links=None, message_id="<1@x.no>", date=SENT_AT)


def test_unknown_language_is_an_error(env, make_change) -> None:
    with pytest.raises(ValueError, match="language"):
        alert(env, make_change(), language="de")
    assert alert(env, make_change(), language="nb-NO").language == "nb"
    assert alert(env, make_change(), language="en_GB").language == "en"


UNSAFE_LINKS = [
    "javascript:alert(1)",
    "ftp://fhi.no/x",
    "/nyheter/relativ-sak",
    "https://blå..no/",  # not a valid internationalised name
    "https://www.fhi .no/",
    "",
]


def test_page_urls_are_checked_and_made_ascii(make_change) -> None:
    change = make_change(url="https://www.fhi.no/sok/?q=blåbær")
    assert change.url == "https://www.fhi.no/sok/?q=bl%C3%A5b%C3%A6r"
    assert make_change(url="https://blåbær.no/").url == "https://xn--blbr-roah.no/"
    # A quote, a space or an angle bracket is percent-encoded as the watcher and the publisher
    # API encode them: the link is kept, and can end no attribute or text line early.
    quoted = make_change(url='https://fhi.no/"onmouseover=x <b>/rapport 2026.pdf')
    assert quoted.url == "https://fhi.no/%22onmouseover=x%20%3Cb%3E/rapport%202026.pdf"
    for bad in UNSAFE_LINKS:
        assert make_change(url=bad).url is None, bad


@pytest.mark.parametrize("url", UNSAFE_LINKS)
def test_a_link_that_cannot_be_made_safe_is_left_out_and_the_mail_still_goes(
    env, make_change, links, parse_mail, url: str
) -> None:
    mail = parse_mail(send(alert(env, make_change(url=url, title="Relativ sak")), links))
    assert "Relativ sak" in mail.text
    assert "Nytt avsnitt om Norges bidrag" in mail.html
    assert "Gå til siden" not in mail.html
    index = "https://www.fhi.no/?lang=nb"
    assert set(mail.page.hrefs) <= {links.manage_url, links.unsubscribe_url, index}
    if url:
        assert url not in mail.text
        assert url not in mail.html


def test_a_change_without_a_link_needs_more_than_that(make_change) -> None:
    with pytest.raises(ValueError, match="occurred_at"):
        make_change(occurred_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="same length"):
        make_change(topic_titles=("a", "b"))
