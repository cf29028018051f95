"""PDF documents built for tests."""

from __future__ import annotations

import zlib


def dense_pdf(lines: int) -> bytes:
    """Return a one-page PDF whose page shows the same line of text ``lines`` times."""
    return lines_pdf(["Dette er en linje om helse og omsorg i kommunene."] * lines)


def lines_pdf(lines: list[str]) -> bytes:
    """Return a one-page PDF whose page shows these lines (Latin-1 text), one under another."""
    shown = b"BT /F1 12 Tf 72 700 Td 14 TL\n"
    for line in lines:
        text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        shown += b"(%s) '\n" % text.encode("latin-1")  # next line, show it
    shown += b"ET\n"
    stream = zlib.compress(shown)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources"
        b" << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    table = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return body + (
        b"xref\n0 5\n0000000000 65535 f \n%s" % table
        + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body)
    )
