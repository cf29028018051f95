"""What a page makes a browser fetch: scripts, styles, images, frames, form targets, CSS urls.

Links a person may follow (``<a href>``) are not fetched by loading the page and are left out;
everything else that names a URL is returned as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

# (tag, attribute) pairs whose URL the browser fetches or submits to without a click on a link.
_FETCHED = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("frame", "src"),
    ("source", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
    ("form", "action"),
    ("button", "formaction"),
    ("input", "formaction"),
    ("meta", "content"),  # only the URL of a refresh, see below
}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")
_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)""")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if (tag, name) not in _FETCHED and name not in ("srcset", "style", "background"):
                continue
            if tag == "meta" and values.get("http-equiv", "").lower() != "refresh":
                continue
            if name == "srcset":
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name == "style":
                self.urls += _CSS_URL.findall(value)
            elif tag == "meta":
                self.urls += [value.split("url=", 1)[1]] if "url=" in value.lower() else []
            else:
                self.urls.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += _CSS_URL.findall(data) + _IMPORT.findall(data)


def resources(html: str) -> list[str]:
    """Return every URL that loading this page, or sending its forms, would request."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.urls


def from_elsewhere(html: str) -> list[str]:
    """Return the URLs among ``resources`` that name another host (relative ones do not)."""
    return [url for url in resources(html) if urlsplit(url).netloc]
