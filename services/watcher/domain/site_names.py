"""A site's name beside a heading: «Noe gikk galt | Helsedirektoratet», «Error - fhi.no».

An error page or a host's page is often headed by its message and the site's name after (or
before) a separator, as its <title> is. Text beside a message counts as the site's name only
when it is one: a domain name, or the part of the page's <title> that names the site. Any other
text beside it is the heading's own, a news item's subtitle («Noe gikk galt – feil i
timebestillingen», «For mange henvendelser – lengre svartid»), and the heading is then no error
page's.
"""

from __future__ import annotations

import re

# « | », « – », « — » or « - » between a heading and the site's name.
SEPARATOR = r"\s[|–—-]\s+"
_SEPARATOR_RE = re.compile(SEPARATOR)
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[\w-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)
_NAME_CHARS = 80  # a site's name is no longer


def is_domain(said: str) -> bool:
    """Tell whether a text is a domain name («kommune.no»)."""
    return _DOMAIN_RE.match(said) is not None


def without_site_names(said: str, head: str, heading: str) -> tuple[str, ...]:
    """Return the ways a heading reads without the site's name: itself, and without the name
    before its first separator, after its last, or both, where it has them.

    ``head`` is the page's <title>, ``heading`` its own heading (its <h1>; empty if it has
    none). The site's name is a domain name, or what the <title> says besides the page's
    heading: on the heading, the <title>'s first or last part (the whole <title> if it has no
    separator); on the <title> itself, what it adds to the heading («Helse Bergen» in «Noe gikk
    galt – feil i timebestillingen - Helse Bergen»), and nothing where it is the heading. A
    <title> of a page without a heading, or with another, has nothing to be told apart from:
    its first and last parts are taken for the site's name, as a <title> is written.
    """
    seps = list(_SEPARATOR_RE.finditer(said))
    if not seps:
        return (said,)
    names = _names(said, head, heading)
    before = said[: seps[0].start()]
    after = said[seps[-1].end() :]
    ways = [said]
    if _is_name(after, names):
        ways.append(said[: seps[-1].start()])
    if _is_name(before, names):
        ways.append(said[seps[0].end() :])
        if len(seps) > 1 and _is_name(after, names):
            ways.append(said[seps[0].end() : seps[-1].start()])
    return tuple(ways)


def _names(said: str, head: str, heading: str) -> frozenset[str]:
    """Return what counts as the site's name beside ``said`` (casefolded), domains aside."""
    if not head:
        return frozenset()
    parts = [p.strip().casefold() for p in _SEPARATOR_RE.split(head)]
    if said != head:
        return frozenset({parts[0], parts[-1]})
    title, own = head.casefold(), heading.strip().casefold()
    if own and own in title:
        return frozenset(_SEPARATOR_RE.sub(" ", p).strip() for p in title.split(own)) - {""}
    return frozenset({parts[0], parts[-1]})


def _is_name(part: str, names: frozenset[str]) -> bool:
    """Tell whether a heading's part is the site's name."""
    bare = part.strip().rstrip(".!")
    if not bare or len(bare) > _NAME_CHARS:
        return False
    return is_domain(bare) or bare.casefold() in names
