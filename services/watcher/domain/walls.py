"""Pages that stand in for the content: an error page, a sign-in form, a maintenance notice.

A page that asks for a password or an electronic ID, or says the site is down for maintenance,
answers 200 with text of its own; compared as content it was a change («Oppdatering i «Delta»:
Logg inn»), and its end another. Such a page is no usable content: the poll fails with the
reason, the last good snapshot stays, and the page back is compared with it. Only pages
dominated by the wall are refused: a small sign-in box in a public page's header or aside is
common, and an article may well speak of maintenance. What a site says when it or the page is
away (an error page's message, a maintenance notice) is read in outage_notices.py; the pages a
site's host serves in place of the page (a firewall's rejection, a queue, a server's default
error) in host_pages.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import lxml.html

from services.watcher.domain.host_pages import host_page, server_default_page
from services.watcher.domain.model import ContentError
from services.watcher.domain.outage_notices import (
    SHORT_CHARS,
    error_heading,
    maintenance_heading,
    site_away,
    site_down,
)

# A sign-in page the address redirected to, on another path, may say more than a short page
# (terms, help) and still be one.
REDIRECTED_SIGN_IN_CHARS = 5000

# Where a sign-in box of a public page sits: its chrome, not its main content.
_CHROME_TAGS = frozenset({"header", "footer", "nav", "aside", "dialog"})
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "complementary"}
)

# The heading or first line of a page that asks the reader to sign in («Logg inn», «Velg
# elektronisk ID», «Sign in»), which a page about signing in may share; what else it must show
# is in refuse_stand_ins.
_SIGN_IN_RE = re.compile(
    r"^\W*(?:logge? inn|logg på|innlogging|pålogging|sign(?:ing)? in|log(?:ging)? in|login"
    r"|velg? (?:innloggingsmetode|innloggingsmåte|elektronisk id|e-?id)"
    r"|choose (?:your |an? )?(?:login|sign-in|e-?id|electronic id)(?: method)?)"
    # Then nothing, a site's name after a separator, or whereto and how («Logg inn på
    # Helsenorge», «Sign in with ID-porten»); not a compound («Logg inn-tjenesten er nede»).
    r"(?:\W*$|\s+[-–—|:]\s|\s+(?:på|med|til|for|hos|to|with|using|via)\s)",
    re.IGNORECASE,
)
# Electronic IDs a Norwegian sign-in page offers instead of a password (ID-porten's choice,
# Feide, Vipps): a button or a short link naming one is a way in, not a sentence about it.
_EID_RE = re.compile(r"\b(?:bankid|minid|buypass|commfides|id-?porten|feide|vipps)\b", re.I)
_EID_CHOICE_CHARS = 40


@dataclass(frozen=True, slots=True)
class SignIn:
    """How the main content asks the reader to sign in, if it does."""

    password: bool = False  # a password field
    eid: bool = False  # a button naming an electronic ID


# The check some hosts put before a page (Cloudflare's «Just a moment…»), served with 200.
_ROBOT_CHECK_RE = re.compile(
    r"^\W*(?:just a moment\W*$|checking (?:your browser|if the site connection is secure)"
    r"|verify(?:ing)? (?:that )?you are (?:a )?human|attention required!? \| cloudflare)",
    re.IGNORECASE,
)


def sign_in_in_main(
    dropped: Iterable[lxml.html.HtmlElement], container: lxml.html.HtmlElement | None
) -> SignIn:
    """Tell whether a password field, or a button for an electronic ID, among the page's cut
    elements is in its main content.

    Read before the chrome is cut (every <input> and <button> is among it): in the container
    the page names, if any, and in no header, footer, navigation or aside.
    """
    password = eid = False
    for element in dropped:
        kind = (element.get("type") or "").strip().lower() if element.tag == "input" else ""
        if kind == "password":
            found = "password"
        elif element.tag == "button" or kind in ("submit", "button"):
            said = element.text_content() if element.tag == "button" else element.get("value")
            if not said or len(said) > _EID_CHOICE_CHARS or not _EID_RE.search(said):
                continue
            found = "eid"
        else:
            continue
        ancestors = list(element.iterancestors())
        if container is not None and not any(a is container for a in ancestors):
            continue
        if any(a.tag in _CHROME_TAGS or a.get("role") in _CHROME_ROLES for a in ancestors):
            continue
        password = password or found == "password"
        eid = eid or found == "eid"
    return SignIn(password, eid)


def offers_eid(blocks: Iterable[str]) -> bool:
    """Tell whether a short block names an electronic ID: a link of a choice («BankID på
    mobil»), not a sentence about it."""
    return any(len(b) <= _EID_CHOICE_CHARS and _EID_RE.search(b) for b in blocks)


def refuse_stand_ins(
    title: str,
    head: str,
    blocks: Sequence[str],
    chars: int,
    *,
    heading: str,
    sign_in: SignIn,
    redirected: bool,
) -> None:
    """Raise ContentError if the page is an error page, a sign-in page, a maintenance notice,
    a check that the reader is no robot, or another of its host's pages (host_pages.py).

    ``title`` is the page's heading (else its <title>), ``head`` its <title> (read only for
    a short page), ``blocks`` its text blocks (at least one), ``chars`` the length of its text;
    ``heading`` its own heading (its <h1>, empty if it has none); ``sign_in`` what its main
    content asks for.
    """
    first = blocks[0]
    if default := server_default_page(title, head):
        raise ContentError(default)
    if chars < SHORT_CHARS:
        # Its <title> too: a soft 404 may head its text «Oisann!» and say what it is only
        # there («Siden finnes ikke – Mattilsynet»), and its text was mailed as a change.
        for said in (title or first, head):
            if said and error_heading(said, head, heading):
                raise ContentError(f"page looks like an error page: {said[:200]!r}")
    short = chars < (REDIRECTED_SIGN_IN_CHARS if redirected else SHORT_CHARS)
    if sign_in.password and short:
        raise ContentError(
            "page is a sign-in page, not the content (a password form is its main content): "
            f"{(title or first)[:200]!r}"
        )
    # No password: an electronic ID's buttons or links under a heading that asks to sign in,
    # or that heading where the address led elsewhere. A page about signing in names the IDs
    # in sentences, and is where its address says.
    said = title or first
    if short and _SIGN_IN_RE.match(said):
        if sign_in.eid or offers_eid(blocks):
            raise ContentError(
                "page is a sign-in page, not the content (it asks for an electronic ID): "
                f"{said[:200]!r}"
            )
        if redirected:
            raise ContentError(
                "page is a sign-in page, not the content (the address led to it on another"
                f" path): {said[:200]!r}"
            )
    if chars < SHORT_CHARS:
        for said in (title, head, first):
            if said and maintenance_heading(said):
                raise ContentError(f"page looks like a maintenance notice: {said[:200]!r}")
            if said and _ROBOT_CHECK_RE.match(said):
                raise ContentError(f"page checks that the reader is no robot: {said[:200]!r}")
        # The page's own heading kept, its text replaced by the site's notice.
        down = site_down(blocks)
        if down:
            raise ContentError(f"page looks like a maintenance notice: {down[:200]!r}")
        away = site_away(blocks)
        if away:
            raise ContentError(f"page looks like an error page: {away[:200]!r}")
        reason = host_page(title, head, blocks)
        if reason:
            raise ContentError(reason)
