"""Pages a site's host serves with 200 in place of the page: its firewall's rejection, its
queue, its check that the reader is no robot, and its server's or framework's default error.

Each is no content, and several carry a new id at every request (F5's «Your support ID is:
…», Queue-it's «Queue ID: …», a check's «Referanse …»): read as the page, each poll was a change
and an alert for as long as the block lasted, and the source was then called rotating. A
default error page (ASP.NET's «Server Error in '/' Application», IIS's «HTTP Error 503»,
Envoy's «upstream connect error …», WordPress's «Error establishing a database connection», a
PHP «Fatal error … on line N») was an alert when it came and another when the page was back.

walls.refuse_stand_ins asks here only for a page with under SHORT_CHARS of text. A queue or a
robot check counts only as its heading alone («Du er nå i kø», «Jeg er ikke en robot»), its
place, wait or id, or its request to prove oneself human, at the start of a block, and little
other text: an article about queues or robot checks says more, and says it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from services.watcher.domain.site_names import is_domain

# A host's own wording, as its heading, <title> or first line. Headings a page could share
# («Too Many Requests», «Runtime Error») count alone, or with the site's name after a
# separator (_without_site_name); a server's fixed sentence («HTTP Error 503. The service is
# unavailable.», Envoy's reset reason, PHP's «… on line 12») may run on as the server writes it.
_SITE_NAME = r"\W*$"
# The last « – », « | » or « - » of a heading, and what follows it.
_LAST_PART_RE = re.compile(r"\s[|–—-]\s+([^|–—]{1,80}?)\W*$")
_SERVER_ERROR_RE = re.compile(
    r"^\W*(?:(?:server error in '[^']{0,200}' application|runtime error|too many requests"
    r"|for mange (?:forespørsler|førespurnader|henvendelser|førespurnadar)"
    r"|(?:the )?service is (?:temporarily )?unavailable|request rejected"
    r"|error establishing a database connection|wordpress\s*›\s*(?:error|feil|database error))"
    rf"{_SITE_NAME}"
    r"|http error [45]\d\d\b(?:\W*$|\.\s.{0,200}$)"
    r"|there has been a critical error on (?:this|your) website\b"
    r"|upstream (?:connect error or disconnect/reset before headers|request timeout)\b"
    r"|(?:php )?(?:fatal|parse) error\W{0,3}\s.{0,800}?\bon line \d+\b)",
    re.IGNORECASE | re.DOTALL,
)
# F5 BIG-IP ASM's default blocking page: its fixed sentence, and the id to quote.
_FIREWALL_RE = re.compile(
    r"^\W*the requested url was rejected\. please consult with your administrator\b.{0,80}?"
    r"\byour support id is\W{0,3}\d{6,}",
    re.IGNORECASE | re.DOTALL,
)

# A queue's heading alone: «Du er nå i kø», nynorsk «Du er no i kø», Queue-it's «You are now
# in line».
_QUEUE_HEADING_RE = re.compile(
    r"^\W*(?:du (?:er|står) (?:nå |no )?(?:satt |plassert )?i kø(?:en)?"
    r"|you(?: are|(?:'|’)re) (?:now )?in (?:the )?(?:line|queue))"
    rf"{_SITE_NAME}",
    re.IGNORECASE,
)
# Its place, wait or id, each with its number: «Din plass i køen: 2481», «Estimert ventetid:
# 12 minutter», «Kø-ID: 7d4e4a7b», «Your number in line: 2481», «Queue ID: …». An article
# says «Ventetiden er om lag to år», with no label.
_QUEUE_PLACE_RE = re.compile(
    r"\b(?:(?:din|di|ditt) (?:plass|nummer) i køen|(?:antall|talet på) (?:brukere |brukarar"
    r" |personer |personar )?(?:foran|framfor) deg|(?:estimert|forventet|forventa|beregnet"
    r"|berekna) ventetid|kø-?id|your (?:number|place|position) in (?:the )?(?:line|queue)"
    r"|(?:users|people) (?:in line )?ahead of you|(?:your )?estimated wait(?:ing)? time(?: is)?"
    r"|queue id)\W{0,3}(?:ca\.? |om lag |about |approximately )?[\w-]*\d",
    re.IGNORECASE,
)
# A robot check's heading alone: «Jeg er ikke en robot», «Eg er ikkje ein robot», «I'm not a
# robot».
_ROBOT_HEADING_RE = re.compile(
    r"^\W*(?:jeg er ikke en robot|eg er ikkje ein robot|i(?: am|(?:'|’)m) not a robot"
    r"|er du (?:en|ein) robot|are you a robot)"
    rf"{_SITE_NAME}",
    re.IGNORECASE,
)
# Its request, at the start of a block: «Vi må sjekke at du er et menneske før du kan gå
# videre», «Please verify that you are human». An article tells that sites ask it («Mange
# nettsider ber deg bekrefte at du er et menneske»).
_ROBOT_REQUEST_RE = re.compile(
    r"^\W*(?:(?:vi|we) (?:må|need to|must|have to) |please |vennligst |ver (?:venleg|vennleg)"
    r" og )?(?:sjekke|kontrollere|bekrefte|bekreft|stadfest[ae]?|verify|confirm|check)"
    r" (?:at|that) (?:du|you) (?:er|are) (?:et |eit |a )?(?:menneske|human)\b",
    re.IGNORECASE,
)
# The site at work on itself («Vi oppgraderer nettsidene våre», «Nettsiden er under arbeid»),
# as a heading alone, is a notice only with a block that says it is away now («Vi er tilbake så
# snart som mulig», «Kom tilbake senere»): a news item on a coming upgrade says when instead.
_WEBSITE = r"(?:nettstedet|nettstaden|nettsiden|nettsida|nettsidene|(?:our|the|this) (?:web)?site)"
_SITE_AT_WORK_RE = re.compile(
    r"^\W*(?:(?:vi|we(?: are|(?:'|’)re)?) (?:oppgraderer|oppgraderar|oppdaterer|oppdaterar"
    rf"|upgrading|updating) {_WEBSITE}(?: våre| vår| vårt)?"
    rf"|{_WEBSITE} (?:er|is) (?:nå |no |currently )?under (?:arbeid|ombygging|construction))\W*$",
    re.IGNORECASE,
)
_BACK_SOON_RE = re.compile(
    r"\b(?:vi er (?:straks |snart )?tilbake(?: så snart (?:som )?(?:mulig|råd)| om litt| om kort"
    r" tid)?(?:[.!]|$)|kom (?:tilbake|innom) (?:senere|seinare|om litt|snart)"
    r"|we(?:'|’)ll be back|we will be back|(?:come|check) back (?:later|soon))",
    re.IGNORECASE,
)
# A web server's own page for a host that serves no site yet («Apache2 Ubuntu Default Page: It
# works», «Welcome to nginx!»): what an address shows when its site was moved away or not
# deployed, at any length (Apache's explains its configuration at length). No page of a site
# is headed so.
_SERVER_DEFAULT_RE = re.compile(
    r"^\W*(?:apache2? (?:ubuntu |debian |centos |red hat |fedora )?default page(?:\W+it works)?"
    r"|apache http server test page(?: powered by [\w ]{1,40})?"
    r"|test page for the (?:apache|nginx) http server(?: on [\w ]{1,40})?"
    r"|welcome to nginx|iis windows server|internet information services|it works)\W*$",
    re.IGNORECASE,
)
# What a queue or a robot check may say besides its heading: the host's few lines. An article
# headed alike says more.
_GATE_OTHER_CHARS = 500


def server_default_page(title: str, head: str) -> str | None:
    """Return why a page of any length is its web server's default page, or None."""
    said = next((s for s in (head, title) if s and _SERVER_DEFAULT_RE.match(s)), None)
    if said is None:
        return None
    # Said as a host's error page is (failures.py words it for the admin).
    return f"page looks like an error page: {said[:200]!r}"


def host_page(title: str, head: str, blocks: Sequence[str]) -> str | None:
    """Return why a short page is its host's page in place of the page's own (the reason of
    a failed poll), or None."""
    first = blocks[0]
    if any(_FIREWALL_RE.match(block) for block in blocks[:3]):
        return f"page is a firewall's rejection, not the content: {(title or first)[:200]!r}"
    for said in (title, head, first):
        if said and _SERVER_ERROR_RE.match(_without_site_name(said, head)):
            return f"page looks like an error page: {said[:200]!r}"
    at_work = next((s for s in (title, first) if s and _SITE_AT_WORK_RE.match(s)), None)
    if at_work and any(_BACK_SOON_RE.search(said) for said in blocks[:3]):
        return f"page looks like a maintenance notice: {at_work[:200]!r}"
    for said in (title, head, first):
        if not said:
            continue
        bare = _without_site_name(said, head)
        if _QUEUE_HEADING_RE.match(bare) and _gate(said, blocks, _QUEUE_PLACE_RE.search):
            return f"page is a queue in front of the site, not the content: {said[:200]!r}"
        if _ROBOT_HEADING_RE.match(bare) and _gate(said, blocks, _ROBOT_REQUEST_RE.match):
            return f"page checks that the reader is no robot: {said[:200]!r}"
    return None


def _without_site_name(said: str, head: str) -> str:
    """Return a heading without the site's name after its last separator, if it ends so.

    The site's name is a domain name («Too Many Requests | kommune.no»), or the last part of
    the page's <title> (the whole of it if it has none) on a heading that is not the <title>
    itself. Any other text after a separator is the heading's own: a news item's subtitle
    («For mange henvendelser – lengre svartid»), and the heading is then not the host's.
    """
    found = _LAST_PART_RE.search(said)
    if not found:
        return said
    suffix = found.group(1).strip()
    if is_domain(suffix):
        return said[: found.start()]
    if head and said != head:
        in_head = _LAST_PART_RE.search(head)
        site = (in_head.group(1) if in_head else head).strip()
        if suffix.casefold() == site.casefold():
            return said[: found.start()]
    return said


def _gate(heading: str, blocks: Sequence[str], finds: Callable[[str], object]) -> bool:
    """Tell whether the blocks besides the heading say little, and one of the first says
    what the gate asks (``finds``: a pattern's search or match)."""
    others = [b for b in blocks if b != heading]
    if sum(len(b) for b in others) >= _GATE_OTHER_CHARS:
        return False
    return any(finds(b) for b in others[:4])
