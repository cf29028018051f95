"""Finding what a page would load (support/page_resources.py), which the page tests rely on."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.page_resources import resources


def test_resources_are_found_wherever_a_page_names_them() -> None:
    page = """<!doctype html><html><head>
    <link rel="stylesheet" href="https://cdn.example/a.css"><script src="/s.js"></script>
    <style>@import "https://fonts.example/f.css";
    p { background: url('//img.example/p.png') }</style>
    <meta http-equiv="refresh" content="0; url=https://elsewhere.example/"></head>
    <body><img src="x.png" srcset="https://img.example/1x.png 1x, /2x.png 2x">
    <a href="https://link.example/">a link is followed, not fetched</a>
    <form action="https://post.example/"></form><div style="background:url(https://bg.example/)">
    <iframe src="https://frame.example/"></iframe></div></body></html>"""
    found = resources(page)
    assert sorted(urlsplit(url).netloc for url in found if urlsplit(url).netloc) == [
        "bg.example",
        "cdn.example",
        "elsewhere.example",
        "fonts.example",
        "frame.example",
        "img.example",
        "img.example",
        "post.example",
    ]
    assert "/s.js" in found and "x.png" in found and "/2x.png" in found
