"""Reading the operator's privacy notice: one Markdown file per language in a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from services.subscriptions.domain.privacy import NoticeProblem, PrivacyNotices, parse_notice
from shared.web.documents import DocumentError, read_documents

SETTING: Final = "VARSEL_PRIVACY_NOTICE_DIR"
# The bundled example: it names every element GDPR art. 13 asks for, for an operator to replace.
EXAMPLE: Final = Path(__file__).resolve().parents[1] / "documents" / "privacy"


def load_notices(directory: Path | None) -> PrivacyNotices:
    """Read the notice in every language; raise ``DocumentError`` naming the file at fault."""
    notices = {}
    for language, (path, source) in read_documents(directory or EXAMPLE, SETTING).items():
        try:
            notices[language] = parse_notice(language, source)
        except NoticeProblem as exc:
            raise DocumentError(f"{SETTING}: the privacy notice {path}: {exc}") from exc
    return PrivacyNotices(notices)
