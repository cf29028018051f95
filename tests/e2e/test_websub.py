"""A WebSub hub on loopback pushes a feed to `varsel run`: a signed push alerts, a forged one not.

varsel runs as its own process (public pages, watcher and mailer), a real HTTP server publishes
the feed naming the hub, a small hub written here subscribes varsel as the W3C Recommendation
says (202, then a verification GET with a challenge) and pushes signed bodies; a real SMTP
server receives the alert. The feed is polled only hourly, so the alert can only come from the
push.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from tests.e2e.websub_support import FEED_CATALOGUE, feed
from tests.support.journey import subscribe_and_confirm, text_of
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess, wait_until


@dataclass
class ThreadedHub:
    """Accepts subscriptions with 202 and verifies each from a thread of its own."""

    subscriptions: list[dict[str, str]] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                hub.subscriptions.append(form)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                threading.Thread(target=hub.verify, args=(form,), daemon=True).start()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def verify(self, form: dict[str, str]) -> None:
        challenge = secrets.token_urlsafe(16)
        params = {
            "hub.mode": "subscribe",
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": "86400",
        }
        answer = httpx.get(form["hub.callback"], params=params, timeout=10)
        self.verified.append(answer.status_code == 200 and answer.text == challenge)

    def push(self, body: bytes, secret: str | None = None) -> int:
        form = self.subscriptions[-1]
        key = (secret or form["hub.secret"]).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        answer = httpx.post(
            form["hub.callback"],
            content=body,
            headers={"Content-Type": "application/rss+xml", "X-Hub-Signature": signature},
            timeout=10,
        )
        return answer.status_code

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def test_a_signed_push_alerts_the_subscriber_and_a_forged_one_changes_nothing(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    site, hub = FixtureSite(), ThreadedHub()
    site.start()
    hub.start()
    feed_url = f"{site.base_url}/nyheter.rss"
    site.set(
        "/nyheter.rss", Resource(feed(hub.url, feed_url, ["Eldre sak"]), "application/rss+xml")
    )
    config = tmp_path / "varsel.toml"
    config.write_text(FEED_CATALOGUE.format(url=feed_url), encoding="utf-8")
    varsel = VarselProcess(
        tmp_path,
        {
            "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
            "VARSEL_SMTP_URL": smtp.url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
            "VARSEL_WEBSUB_LOOPBACK_CALLBACK_FOR_TESTS_ONLY": "true",
        },
    )
    varsel.start()
    try:
        wait_until(lambda: any(hub.verified), "the hub's verification of varsel", 90)
        assert hub.verified == [True]
        (asked,) = hub.subscriptions
        assert asked["hub.topic"] == feed_url
        assert asked["hub.callback"].startswith(f"{varsel.base_url}/websub/")
        with httpx.Client(base_url=varsel.base_url, timeout=10) as browser:
            subscribe_and_confirm(
                browser, smtp.mailbox, "helsenyheter", "kari@example.no", "immediate"
            )

        forged = feed(hub.url, feed_url, ["Forfalsket sak", "Eldre sak"])
        assert hub.push(forged, secret="not-the-secret") == 403
        pushed = feed(hub.url, feed_url, ["Ny sak om beredskap", "Eldre sak"])
        assert hub.push(pushed) == 202

        mails = smtp.mailbox.wait_for(2, timeout=60)  # the confirmation, then the alert
        alert = text_of(mails[1])
        assert "Ny sak om beredskap" in alert
        assert all("Forfalsket" not in text_of(m) for m in smtp.mailbox.wait_for(2, timeout=1))
        assert "X-Hub-Signature missing or wrong" in varsel.log()
        assert site.hits("/nyheter.rss") == 1  # the alert came from the push, not a poll
        assert "Traceback" not in varsel.log()
    finally:
        varsel.stop()
        hub.stop()
        site.stop()
