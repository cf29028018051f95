"""The organisation's look: WCAG contrast of the accent, and which logos varsel will serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.brand import (
    DEFAULT_ACCENT,
    MAX_LOGO_BYTES,
    Brand,
    check_accent,
    check_logo,
    contrast_ratio,
    darker,
    relative_luminance,
)
from shared.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brand"


@pytest.mark.parametrize(
    ("colour", "luminance"),
    [("#000000", 0.0), ("#ffffff", 1.0), ("#ff0000", 0.2126), ("#00ff00", 0.7152)],
)
def test_relative_luminance_follows_wcag(colour: str, luminance: float) -> None:
    assert relative_luminance(colour) == pytest.approx(luminance)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#000000", 21.0),  # the order does not matter
        ("#777777", "#777777", 1.0),
        # Figures from WebAIM's contrast checker, rounded as it shows them.
        ("#777777", "#ffffff", 4.48),
        ("#767676", "#ffffff", 4.54),
        ("#ff0000", "#ffffff", 4.0),
        ("#0000ff", "#ffffff", 8.59),
    ],
)
def test_contrast_ratios(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("colour", [DEFAULT_ACCENT, "#767676", "#A4001D", " #004F9F "])
def test_a_readable_accent_is_kept_in_lower_case(colour: str) -> None:
    assert check_accent(colour) == colour.strip().lower()


def test_a_pale_accent_is_refused_naming_its_contrast() -> None:
    with pytest.raises(ValueError) as refused:
        check_accent("#777777")
    message = str(refused.value)
    assert "#777777 has a contrast of 4.48:1 against the page background (#ffffff)" in message
    assert "at least 4.5:1" in message


@pytest.mark.parametrize("colour", ["blue", "#fff", "#gggggg", "004f9f", "", "#004f9f00"])
def test_an_accent_that_is_not_a_colour_is_refused(colour: str) -> None:
    with pytest.raises(ValueError, match="#rrggbb"):
        check_accent(colour)


def test_the_darker_accent_only_gains_contrast() -> None:
    for colour in (DEFAULT_ACCENT, "#767676", "#a4001d"):
        assert contrast_ratio(darker(colour), "#ffffff") > contrast_ratio(colour, "#ffffff")
    assert darker("#000000") == "#000000"
    assert Brand("#004f9f").stylesheet() == ":root { --accent: #004f9f; --accent-dark: #003367; }\n"


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_svg_and_png_logos_are_accepted(name: str) -> None:
    assert check_logo(FIXTURES / name) == FIXTURES / name


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("logo.gif", b"GIF89a", "must be an .svg or .png file"),
        ("logo.png", b"<svg/>", "is not a PNG image"),
        ("logo.svg", b"<svg", "is not well-formed XML"),
        ("logo.svg", b"<html/>", "is not an SVG image"),
        ("logo.svg", SVG.format("<script>alert(1)</script>").encode(), "<script>"),
        ("logo.svg", SVG.format('<rect onload="alert(1)"/>').encode(), "event handler"),
        ("logo.svg", SVG.format("<foreignObject/>").encode(), "<foreignObject>"),
        (
            "logo.svg",
            SVG.format('<image href="https://cdn.example.com/logo.png"/>').encode(),
            "may load nothing from elsewhere",
        ),
        (
            "logo.svg",
            SVG.format('<use xlink:href="//cdn.example.com/a.svg#x"/>').encode(),
            "may load nothing from elsewhere",
        ),
        (
            "logo.svg",
            b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            "DTD",
        ),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * MAX_LOGO_BYTES, "at most"),
    ],
)
def test_a_logo_varsel_cannot_serve_safely_is_refused(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")) as refused:
        check_logo(path)
    assert str(path) in str(refused.value)


def test_a_missing_logo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the logo"):
        check_logo(tmp_path / "absent.svg")


def test_settings_refuse_a_pale_accent_and_a_bad_logo(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"4\.48:1"):
        Settings(accent_colour="#777777")
    with pytest.raises(ValidationError, match="is not a PNG image"):
        (tmp_path / "logo.png").write_bytes(b"GIF89a")
        Settings(logo=tmp_path / "logo.png")
    settings = Settings(accent_colour="#A4001D", logo=FIXTURES / "logo.svg")
    assert settings.brand == Brand(accent="#a4001d", logo_path="/brand/logo.svg")
    assert Settings().brand == Brand(accent=DEFAULT_ACCENT, logo_path=None)
