"""The organisation's look: an accent colour checked for WCAG contrast, and a logo file.

Pure functions, used by the settings (so start-up and ``varsel check-config`` refuse a colour
people cannot read, or a logo varsel cannot serve safely) and by what pages and mails show.
The contrast formula is WCAG 2.x's relative luminance; it is a few lines of arithmetic, so it
is written here rather than pulled in from a colour library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lxml import etree

# The page background and the text drawn on the accent (header, buttons): both white.
PAGE_BACKGROUND: Final = "#ffffff"
TEXT_ON_ACCENT: Final = "#ffffff"
# WCAG 2.1 AA for normal text (success criterion 1.4.3).
MIN_CONTRAST: Final = 4.5
DEFAULT_ACCENT: Final = "#004f9f"

LOGO_TYPES: Final = {".svg": "image/svg+xml", ".png": "image/png"}
MAX_LOGO_BYTES: Final = 512 * 1024
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_SVG: Final = "{http://www.w3.org/2000/svg}svg"
_HEX: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
# References that stay inside the file: a fragment (#id) or an embedded data: image.
_LOCAL_REFERENCE: Final = re.compile(r"^(#|data:image/(png|jpeg|gif|webp);base64,)")


def _channel(value: int) -> float:
    """Linearise one sRGB channel (0–255), as WCAG's relative luminance defines it."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance of a ``#rrggbb`` colour: 0 for black, 1 for white."""
    if not _HEX.match(colour):
        raise ValueError(f"{colour!r} is not a colour written as #rrggbb")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_accent(colour: str) -> str:
    """Return the accent colour in lower case, or raise ValueError naming the contrast it has.

    The accent is the colour of links on the page background and the background of white text
    (the header, buttons), so it must reach 4.5:1 against both.
    """
    colour = colour.strip()
    if not _HEX.match(colour):
        raise ValueError(f"{colour!r} is not a colour; write it as #rrggbb, e.g. {DEFAULT_ACCENT}")
    for against, role in ((PAGE_BACKGROUND, "the page background"), (TEXT_ON_ACCENT, "white text")):
        ratio = contrast_ratio(colour, against)
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f"{colour} has a contrast of {ratio:.2f}:1 against {role} ({against}); "
                f"WCAG 2.1 AA needs at least {MIN_CONTRAST}:1, so choose a darker colour"
            )
    return colour.lower()


def darker(colour: str, amount: float = 0.35) -> str:
    """Return the colour mixed with black (for hover states and the header's background)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in (r, g, b))


def _svg_problem(data: bytes) -> str | None:
    """Return why an SVG may not be served as the logo, or None if it may."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"is not well-formed XML: {exc}"
    if root.tag != _SVG:
        return "is not an SVG image (its root element is not <svg>)"
    if root.getroottree().docinfo.internalDTD is not None:
        return "declares a DTD or entities, which a logo does not need"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        name = etree.QName(element).localname
        if name in {"script", "foreignObject"}:
            return f"contains a <{name}> element; a logo must be a plain picture"
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname
            if local.lower().startswith("on"):
                return f"has an event handler ({local}); a logo must be a plain picture"
            if local == "href" and not _LOCAL_REFERENCE.match(value.strip()):
                return f"refers to {value!r}; a logo may load nothing from elsewhere"
    return None


def check_logo(path: Path) -> Path:
    """Return the logo's path if varsel can serve it, or raise ValueError saying why not."""
    media_type = LOGO_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise ValueError(f"{path} must be an .svg or .png file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the logo {path}: {exc.strerror}") from exc
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"{path} is {len(data)} bytes; a logo may be at most {MAX_LOGO_BYTES}")
    if media_type == "image/png":
        problem = None if data.startswith(_PNG_SIGNATURE) else "is not a PNG image"
    else:
        problem = _svg_problem(data)
    if problem:
        raise ValueError(f"the logo {path} {problem}")
    return path


@dataclass(frozen=True, slots=True)
class Brand:
    """What pages and mails show of the organisation: its accent colours and logo's path."""

    accent: str = DEFAULT_ACCENT
    # Where varsel serves the logo (/brand/logo.svg or .png); mails prefix the base URL.
    logo_path: str | None = None

    @property
    def accent_dark(self) -> str:
        """Return the darker accent (the header's background, hover states)."""
        return darker(self.accent)

    def stylesheet(self) -> str:
        """Return the CSS that gives the pages this accent."""
        return f":root {{ --accent: {self.accent}; --accent-dark: {self.accent_dark}; }}\n"
