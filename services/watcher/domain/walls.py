"""Pages that stand in for the content: an error page, a sign-in form, a maintenance notice.

A page that asks for a password, or says the site is down for maintenance, answers 200 with
text of its own; compared as content it was a change («Oppdatering i «Delta»: Logg inn»), and
its end another. Such a page is no usable content: the poll fails with the reason, the last
good snapshot stays, and the page back is compared with it. Only pages dominated by the wall
are refused: a small sign-in box in a public page's header or aside is common, and an article
may well speak of maintenance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html

from services.watcher.domain.model import ContentError

# A page with less text than this is short enough to be only an error page or a wall; a
# sign-in page the address redirected to, on another path, may say more (terms, help) and
# still be one.
SHORT_CHARS = 1000
REDIRECTED_SIGN_IN_CHARS = 5000

# The heading or first line of an error page served with 200 («404 - Siden finnes ikke»).
_ERROR_TITLE_RE = re.compile(
    r"^\W*(?:(?:HTTP\W*)?[45]\d\d(?:\s*[-–:|]|\s*$|\s+(?:error|feil|not|internal|service|bad"
    r"|forbidden|unauthorized|ikke))|.*\b(?:internal server error|service unavailable|bad gateway"
    r"|gateway time-?out|page not found|not found|forbidden|access denied|siden finnes ikke"
    r"|fant ikke siden|finner ikke siden|side(?:n)? ikke funnet|noe gikk galt|teknisk feil"
    r"|en feil har oppstått|midlertidig utilgjengelig)\b)",
    re.IGNORECASE,
)

# Where a sign-in box of a public page sits: its chrome, not its main content.
_CHROME_TAGS = frozenset({"header", "footer", "nav", "aside", "dialog"})
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "complementary"}
)

_WORK = r"(?:vedlikehold|vedlikehald|maintenance|oppgradering|upgrade)"
_PLANNED = r"(?:planlagt |planlagd |pågående |scheduled |planned )?"
# The notice as a title or a first line: the word alone («Vedlikehold», «Planlagt nedetid»),
# a sentence that says the site is down for it, or that it is away for a while. Then at most
# a site name after a separator, or a short sentence («Prøv igjen senere.»); «Planlagt
# vedlikehold på E6», a road authority's page, does not match.
_MAINTENANCE_RE = re.compile(
    r"^\W*(?:"
    rf"{_PLANNED}(?:vedlikehold|vedlikehald|nedetid|maintenance|downtime)(?: pågår)?"
    r"|.{0,80}?\b(?:under|nede for|stengt for|stengd for|closed for|down for|offline for) "
    rf"{_PLANNED}{_WORK}"
    r"|.{0,80}?\b(?:stengt|stengd|nede|closed|down|offline|unavailable) (?:grunnet|på grunn av"
    rf"|pga\.?|due to) {_PLANNED}{_WORK}"
    r"|.{0,80}?\b(?:midlertidig utilgjengelig|mellombels utilgjengeleg|temporarily unavailable"
    r"|vi er straks tilbake|we(?:'|’)?ll be back soon|be right back)"
    r")\W*(?:[.!|–—:-].{0,120})?$",
    re.IGNORECASE,
)


def sign_in_in_main(
    dropped: Iterable[lxml.html.HtmlElement], container: lxml.html.HtmlElement | None
) -> bool:
    """Tell whether a password field among the page's cut elements is in its main content.

    Read before the chrome is cut (every <input> is among it): in the container the page
    names, if any, and in no header, footer, navigation or aside.
    """
    for element in dropped:
        if element.tag != "input" or (element.get("type") or "").strip().lower() != "password":
            continue
        ancestors = list(element.iterancestors())
        if container is not None and not any(a is container for a in ancestors):
            continue
        if any(a.tag in _CHROME_TAGS or a.get("role") in _CHROME_ROLES for a in ancestors):
            continue
        return True
    return False


def refuse_stand_ins(
    title: str, head: str, first: str, chars: int, *, sign_in: bool, redirected: bool
) -> None:
    """Raise ContentError if the page is an error page, a sign-in page or a maintenance notice.

    ``title`` is the page's heading (else its <title>), ``head`` its <title> (read only for
    a short page), ``first`` its first line, ``chars`` the length of its text.
    """
    if chars < SHORT_CHARS and _ERROR_TITLE_RE.match(title or first):
        raise ContentError(f"page looks like an error page: {title or first!r}")
    if sign_in and chars < (REDIRECTED_SIGN_IN_CHARS if redirected else SHORT_CHARS):
        raise ContentError(
            "page is a sign-in page, not the content (a password form is its main content): "
            f"{(title or first)[:200]!r}"
        )
    if chars < SHORT_CHARS:
        for said in (title, head, first):
            if said and _MAINTENANCE_RE.match(said):
                raise ContentError(f"page looks like a maintenance notice: {said[:200]!r}")
