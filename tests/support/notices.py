"""The bundled example privacy notice, which the tests run under unless they name their own."""

from __future__ import annotations

from services.subscriptions.adapters.privacy_notice_files import load_notices

NOTICES = load_notices(None)
