"""A page whose address now leads to its site's front page, or to another site: gone or moved,
not changed.

Many sites answer the address of a removed page with a redirect to their front page (a soft
404), not with 404. Read as the page, the front page was a change: every follower was mailed
its news list, and the page's return, if it came back, was another. Such an answer is a
failed poll naming where the address led, so the last good snapshot stays and an operator
sees why. A page that moved elsewhere in its site (another path) is read where it leads, as
before; only a page deeper in its site that leads to a front page is refused.

A page whose address now leads to another site is refused too: a domain let go and bought by
someone else («Dette domenet er til salgs!»), a hijacked redirect, or a page moved to another
organisation's site. What another site says was mailed to the page's followers under this
one's name. The operator is told where it leads, and changes the source's address if the
page moved there. The same site is the same host with or without «www.», or a host under it
(nettpub.fhi.no under www.fhi.no); no list of public suffixes is needed for that, since a host
under another is the same organisation's but where the one above is a hosting service's or a
registry's own (a page on oslo.kommune.no led to kommune.no is taken as the same site).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

# A site's front page: its root, an index file, or the root of a language a Norwegian public
# site is written in («/nb/», «/en-gb»): not any two letters, since «/ny» is a page («new»).
_FRONT_PATH: Final = re.compile(
    r"/?(?:(?:index|default)\.(?:html?|php|aspx?|jsp)"
    r"|(?:nb|nn|no|en|se|sma|smj|sme)(?:[-_][a-z]{2})?/?)?",
    re.IGNORECASE,
)


def leads_to_front_page(asked: str, reached: str) -> bool:
    """Tell whether redirects led from a page deeper in its site to a site's front page."""
    if reached == asked:
        return False
    return _is_front(reached) and not _is_front(asked)


def front_page_reason(asked: str, reached: str) -> str:
    """Return the operator's sentence for a page that now leads to a front page."""
    return (
        f"{asked} now leads to the front page of its site ({reached}): the page has probably"
        " been removed or moved"
    )


def leads_to_another_site(asked: str, reached: str) -> bool:
    """Tell whether redirects led to a host that is neither the page's nor one under it."""
    if reached == asked:  # nearly every answer: no address parsed
        return False
    first, last = _site(asked), _site(reached)
    if first is None or last is None or first == last:
        return False
    return not (last.endswith(f".{first}") or first.endswith(f".{last}"))


def another_site_reason(asked: str, reached: str) -> str:
    """Return the operator's sentence for a page that now leads to another site."""
    return (
        f"{asked} now leads to another site ({reached}): nothing of it is sent; if the page"
        " moved there, change the source's address"
    )


def _site(url: str) -> str | None:
    """Return a URL's host without a leading «www.», lower-cased, or None if it has none."""
    host = urlsplit(url).hostname
    if not host:
        return None
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def led_elsewhere(asked: str, reached: str) -> bool:
    """Tell whether redirects led to another path (a sign-in page's, say), not just a slash."""
    return urlsplit(reached).path.rstrip("/") != urlsplit(asked).path.rstrip("/")


def _is_front(url: str) -> bool:
    return _FRONT_PATH.fullmatch(urlsplit(url).path) is not None
