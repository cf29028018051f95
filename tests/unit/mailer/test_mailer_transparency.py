"""DATA's transparent form made from a rendered mail's pieces: always what stuffing the whole
message would give, or nothing when a piece's line ends are not CRLF."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.mailer.adapters.smtp_connection import _stuffed
from services.mailer.domain.mime import RecipientLinks, RenderedMail
from services.mailer.domain.transparency import stuffed_inside

SENT_AT = datetime(2026, 11, 23, 6, 0, 5, tzinfo=UTC)
LINK_SLOTS = ["manage_url/text", "manage_url/html", "unsubscribe_url/text", "one_click"]


def mail(pieces: list[bytes | str], *, list_mail: bool) -> RenderedMail:
    return RenderedMail(
        kind="alert", language="nb", subject="x", list_mail=list_mail, pieces=pieces
    )


def links(path: str) -> RecipientLinks:
    return RecipientLinks(
        manage_url=f"https://varsel.example.no/m/{path}",
        unsubscribe_url=f"https://varsel.example.no/u/{path}",
        one_click_url=f"https://varsel.example.no/o/{path}",
    )


text = st.lists(
    st.sampled_from([b"a", b".", b"..", b"\r\n", b" ", b"=", b"\r", b"\n"]), max_size=30
)
urls = st.text(alphabet="ab.-/=&'", min_size=0, max_size=200)


@given(
    statics=st.lists(text.map(b"".join), min_size=5, max_size=5),
    path=urls,
    list_mail=st.booleans(),
    # An address may start with a dot, and a slot may start a line or the message.
    to=st.sampled_from(["kari@example.no", ".kari@example.no", "k.@example.no"]),
)
def test_the_transparent_form_is_the_whole_message_stuffed(
    statics: list[bytes], path: str, list_mail: bool, to: str
) -> None:
    slots = LINK_SLOTS if list_mail else ["to", "date", "message_id", "to"]
    pieces: list[bytes | str] = [statics[0]]
    for slot, static in zip(slots, statics[1:], strict=True):
        pieces += [slot, static]
    rendered = mail(pieces, list_mail=list_mail)
    message, wire = rendered.personalise_for_smtp(
        to=to, links=links(path), message_id="<d1@varsel.fhi.no>", date=SENT_AT
    )
    assert message == rendered.personalise(
        to=to, links=links(path), message_id="<d1@varsel.fhi.no>", date=SENT_AT
    )
    clean = all(s.count(b"\r") == s.count(b"\n") == s.count(b"\r\n") for s in statics)
    if clean:
        assert wire == _stuffed(message)
    else:
        assert wire is None  # the sender stuffs the whole message


def test_a_link_folded_so_a_line_starts_with_a_dot_gets_it_doubled() -> None:
    # A soft line break of quoted-printable can put a dot of the link first on a line.
    path = "a" * 47 + "." + "b" * 100  # the link's 76th character starts its second line
    rendered = mail(["manage_url/text", b"\r\n"], list_mail=True)
    message, wire = rendered.personalise_for_smtp(
        to="kari@example.no", links=links(path), message_id="<d1@varsel.fhi.no>", date=SENT_AT
    )
    assert b"=\r\n." in message
    assert wire == _stuffed(message)
    assert b"=\r\n.." in (wire or b"")
    assert stuffed_inside(b".a\r\n.b") == b".a\r\n..b"


@pytest.mark.parametrize(
    "pieces",
    [
        [b"To:\r\n", "to", b"\r\n"],  # a slot that starts a line
        ["to", b"\r\n.x\r\n"],  # a slot that starts the message
        [b"a\r\n", "to", b"", "to", b".b"],  # only the first of two slots starts its line
        [b".a\r\n", "to", b"x"],  # the first line's dot; DATA ends with CRLF
        [b"a\r\n.b"],  # no slot at all
        [b""],  # nothing at all: DATA still ends with CRLF
    ],
)
def test_a_value_that_starts_a_line_with_a_dot_gets_it_doubled(pieces: list[bytes | str]) -> None:
    rendered = mail(pieces, list_mail=False)
    message, wire = rendered.personalise_for_smtp(
        to=".kari@example.no", links=None, message_id="<d1@varsel.fhi.no>", date=SENT_AT
    )
    assert wire == _stuffed(message)
