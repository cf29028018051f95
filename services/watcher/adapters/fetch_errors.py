"""How a fetch fails: the reason an operator reads, and the kind an editor's page words."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch failed; never a change. ``str(e)`` is an operator-readable reason.

    ``reason`` sorts the failure for a page that tells an editor in their language:
    ``bad_url``, ``refused`` (an address the guard forbids), ``http_status``, ``too_large``
    or ``unreachable`` (anything else).
    """

    def __init__(
        self,
        message: str,
        reason: str = "unreachable",
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status  # the HTTP status of an answer that was not 200, 304 or a redirect
        self.retry_after = retry_after  # seconds a 429 or 503 asked the client to wait


class FetchDeadline(FetchError):
    """The whole fetch, redirects and waits for the host's turn included, reached ``deadline``."""
