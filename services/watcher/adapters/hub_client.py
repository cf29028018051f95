"""Asking a WebSub hub for a subscription (the subscriber's one outgoing request)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import aiohttp

from services.watcher.adapters.address_guard import AddressRefused
from services.watcher.adapters.http_session import open_session
from shared.private_addresses import REFUSED, forbidden_literal


class HubClient:
    """Sends subscription requests through the watcher's address guard."""

    def __init__(self, *, timeout: float, allow_private: bool, user_agent: str) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def subscribe(
        self, *, hub: str, topic: str, callback: str, secret: str, lease_seconds: int
    ) -> str | None:
        """Ask the hub to subscribe; return None when it accepted, else why not (for the log)."""
        host = urlsplit(hub).hostname or ""
        if not self._allow_private and forbidden_literal(host):
            return f"refused {host}: {REFUSED}"
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": callback,
            "hub.secret": secret,
            "hub.lease_seconds": str(lease_seconds),
        }
        if self._session is None:
            self._session = open_session(
                user_agent=self._user_agent, max_connections=10, public_only=not self._allow_private
            )
        try:
            async with (
                asyncio.timeout(self._timeout * 2),
                self._session.post(hub, data=form, allow_redirects=False) as response,
            ):
                if 200 <= response.status < 300:  # the spec says 202; some hubs say 204
                    return None
                reason = (await response.content.read(300)).decode("utf-8", "replace")
                return f"HTTP {response.status} from the hub: {reason.strip()}"
        except TimeoutError:
            return f"the hub did not answer within {self._timeout * 2:g}s"
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, AddressRefused):
                return exc.os_error.strerror or REFUSED
            return f"cannot resolve {exc.host}"
        except aiohttp.ClientError as exc:
            return f"cannot reach the hub: {type(exc).__name__}: {exc}"

    async def aclose(self) -> None:
        """Close the connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
