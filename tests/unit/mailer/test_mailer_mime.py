"""Per-recipient personalisation: header safety, encoding robustness, and cost."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.mailer.domain import mime
from services.mailer.domain.alert_mail import render_alert
from services.mailer.domain.mime import RecipientLinks, Sentinels, assemble

SENT_AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.fixture
def mail(env, make_change):
    return render_alert(
        env,
        language="nb",
        change=make_change(),
        topic_title="Norge i verden",
        sender="Folkehelseinstituttet <varsel@fhi.no>",
        list_id="varsel.fhi.no",
        base_url="https://www.fhi.no",
    )


def personalise(mail, links, **overrides):
    arguments = {
        "to": "ola@example.no",
        "links": links,
        "message_id": "<m1@varsel.fhi.no>",
        "date": SENT_AT,
    } | overrides
    return mail.personalise(**arguments)


@pytest.mark.parametrize(
    "to",
    [
        "ola@example.no\r\nBcc: everyone@example.com",
        "ola@example.no\nBcc: everyone@example.com",
        "ola@example.no, kari@example.no",
        "Ola <ola@example.no>",
        "ola@example.no;kari@example.no",
        "ola example.no",
        "",
        "@example.no",
        "ola@",
        "ola@example.no\x00",
        "a" * 250 + "@example.no",
    ],
)
def test_recipient_must_be_one_bare_address(mail, links, to) -> None:
    with pytest.raises(ValueError, match="recipient"):
        personalise(mail, links, to=to)


def test_internationalised_domain_is_sent_as_punycode(mail, links, parse_mail) -> None:
    parsed = parse_mail(personalise(mail, links, to="ola@blåbær.no"))
    assert parsed.message["To"] == "ola@xn--blbr-roah.no"


@pytest.mark.parametrize("message_id", ["<a@b>\r\nBcc: x@y", "<a b@c>", "no-at-sign", "<<a@b>>"])
def test_message_id_is_checked(mail, links, message_id) -> None:
    with pytest.raises(ValueError, match="message_id"):
        personalise(mail, links, message_id=message_id)


def test_message_id_gets_angle_brackets(mail, links, parse_mail) -> None:
    parsed = parse_mail(personalise(mail, links, message_id="m2@varsel.fhi.no"))
    assert parsed.message["Message-ID"] == "<m2@varsel.fhi.no>"


@pytest.mark.parametrize(
    "field",
    ["manage_url", "unsubscribe_url", "one_click_url"],
)
@pytest.mark.parametrize(
    "bad",
    [
        "https://x.no/a\r\nBcc: y@z.no",
        "https://x.no/a b",
        'https://x.no/"><script>',
        "https://x.no/<a>",
        "javascript:alert(1)",
        "mailto:a@b.no",
        "https://x.no/" + "a" * 1000,
        "https://x.no/æ",
    ],
)
def test_recipient_links_are_checked(mail, links, field, bad) -> None:
    values = {
        "manage_url": links.manage_url,
        "unsubscribe_url": links.unsubscribe_url,
        "one_click_url": links.one_click_url,
    } | {field: bad}
    with pytest.raises(ValueError):
        personalise(mail, RecipientLinks(**values))


def test_one_click_must_be_https_except_on_loopback(mail, links, parse_mail) -> None:
    plain = RecipientLinks(links.manage_url, links.unsubscribe_url, "http://varsel.fhi.no/oc/1")
    with pytest.raises(ValueError, match="https"):
        personalise(mail, plain)
    local = RecipientLinks(
        "http://localhost:8000/manage/1",
        "http://localhost:8000/unsubscribe/1",
        "http://localhost:8000/one-click/1",
    )
    parsed = parse_mail(personalise(mail, local))
    assert parsed.message["List-Unsubscribe"] == "<http://localhost:8000/one-click/1>"


def test_naive_date_is_rejected(mail, links) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        personalise(mail, links, date=datetime(2026, 11, 22, 6, 0))


def test_date_header_keeps_the_given_offset(mail, links, parse_mail) -> None:
    oslo_winter = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 22, 7, 0, 30, 999, tzinfo=oslo_winter)
    parsed = parse_mail(personalise(mail, links, date=moment))
    assert parsed.message["Date"].datetime == moment.replace(microsecond=0)


@pytest.mark.parametrize("length", [*range(20, 200, 7), 400, 899])
def test_links_of_any_length_survive_quoted_printable(mail, parse_mail, length) -> None:
    # Long, "="-heavy query strings exercise soft line breaks and escapes at every column.
    def url(kind: str) -> str:
        stem = f"https://varsel.fhi.no/{kind}?"
        return stem + ("a=b&c=" * length)[: length - len(stem)]

    links = RecipientLinks(url("manage"), url("unsubscribe"), url("one-click"))
    raw = personalise(mail, links)
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    parsed = parse_mail(raw)
    for link in (links.manage_url, links.unsubscribe_url):
        assert link in parsed.text.splitlines()
        assert link in parsed.page.hrefs
    assert parsed.message["List-Unsubscribe"] == f"<{links.one_click_url}>"


def test_bad_sender_and_list_id_are_refused(env, make_change) -> None:
    base = {
        "language": "nb",
        "change": make_change(),
        "topic_title": "Norge i verden",
        "sender": "FHI <varsel@fhi.no>",
        "list_id": "varsel.fhi.no",
        "base_url": "https://www.fhi.no",
    }
    for bad in ("FHI <varsel@fhi.no>\r\nBcc: x@y.no", "a@b.no, c@d.no", "not an address"):
        with pytest.raises(ValueError, match="sender"):
            render_alert(env, **(base | {"sender": bad}))
    for bad in ("varsel fhi", "<varsel.fhi.no>\r\nX: y", "nodots"):
        with pytest.raises(ValueError, match="list_id"):
            render_alert(env, **(base | {"list_id": bad}))
    for bad in ("ftp://www.fhi.no", "www.fhi.no"):
        with pytest.raises(ValueError, match="base_url"):
            render_alert(env, **(base | {"base_url": bad}))


def test_non_ascii_sender_name_is_encoded(env, make_change, links, parse_mail) -> None:
    mail = render_alert(
        env,
        language="nb",
        change=make_change(),
        topic_title="Norge i verden",
        sender="Helsedirektoratet – varsler <varsel@helsedir.no>",
        list_id="varsel.helsedir.no",
        base_url="https://www.helsedirektoratet.no",
    )
    raw = personalise(mail, links)
    assert raw.isascii()
    assert parse_mail(raw).message["From"].addresses[0].display_name == (
        "Helsedirektoratet – varsler"
    )


def test_very_long_title_gives_a_shortened_folded_subject(env, make_change, links, parse_mail):
    mail = render_alert(
        env,
        language="nb",
        change=make_change(title="Rapport " * 100),
        topic_title="Norge i verden",
        sender="FHI <varsel@fhi.no>",
        list_id="varsel.fhi.no",
        base_url="https://www.fhi.no",
    )
    raw = personalise(mail, links)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    subject = parse_mail(raw).message["Subject"]
    assert len(subject) <= 250
    assert subject.endswith("…")


def test_personalising_encodes_only_the_recipients_values(mail, monkeypatch) -> None:
    # What makes it cheap (bench/mailer measures the microseconds): the bodies and the shared
    # headers were encoded once, when the mail was rendered, and are never encoded again.
    def encode_again(*_: object, **__: object) -> None:
        raise AssertionError("personalising encoded a shared part again")

    monkeypatch.setattr(mime, "qp_pieces", encode_again)
    monkeypatch.setattr(mime, "_header", encode_again)
    monkeypatch.setattr(mime, "Header", encode_again)
    sent = [
        mail.personalise(
            to=f"p{i}@example.no",
            links=RecipientLinks(
                f"https://varsel.fhi.no/manage/{i}",
                f"https://varsel.fhi.no/unsubscribe/{i}",
                f"https://varsel.fhi.no/one-click/{i}",
            ),
            message_id=f"<{i}@varsel.fhi.no>",
            date=SENT_AT,
        )
        for i in range(200)
    ]
    assert all(b"To: p%d@example.no\r\n" % i in raw for i, raw in enumerate(sent))
    assert all(b"https://varsel.fhi.no/one-click/%d>" % i in raw for i, raw in enumerate(sent))


def test_quoted_printable_slots_survive_any_surrounding_text(links, parse_mail) -> None:
    # Fuzz the encoder: random text (non-ASCII, "=", trailing spaces, long lines) with the
    # link stand-ins at random columns must decode to exactly the text with the links in it.
    rng = random.Random(8058)
    alphabet = "abc æøå=  \t.\n" + "x" * 10
    for _ in range(300):
        sentinels = Sentinels.new()
        markers = sentinels.context()
        chunks, expected = [], []
        for _ in range(rng.randint(0, 6)):
            filler = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 160)))
            name = rng.choice(["manage_url", "unsubscribe_url"])
            chunks += [filler, markers[name]]
            expected += [filler, getattr(links, name)]
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        chunks.append(tail)
        expected.append(tail)
        body = "".join(chunks)
        mail = assemble(
            kind="alert",
            language="nb",
            subject="Test",
            text=body,
            html_body=body,
            sender="FHI <varsel@fhi.no>",
            list_id="varsel.fhi.no",
            sentinels=sentinels,
        )
        raw = mail.personalise(to="a@b.no", links=links, message_id="<1@b.no>", date=SENT_AT)
        message_body = raw.split(b"\r\n\r\n", 1)[1]
        assert all(len(line) <= 76 for line in message_body.split(b"\r\n"))
        parsed = parse_mail(raw)
        want = "".join(expected)
        # The text part as sent; trailing whitespace on a line is not significant in QP.
        assert strip_lines(parsed.text) == strip_lines(want)


def strip_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
