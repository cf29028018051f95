"""`varsel demo`: a local sample site, watched by varsel, with a page that changes every minute."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn

from shared import event_loop
from shared.private_files import private_folder
from shared.schema import upgrade
from shared.settings import Settings

log = logging.getLogger("varsel.demo")
SITE = Path(__file__).resolve().parent / "demo_site"

CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "{base}/norge-i-verden.html"
related = ["pa-tvers-av-sektorer", "helsenyheter"]

[[topics]]
slug = "pa-tvers-av-sektorer"
title = {{ nb = "På tvers av sektorer", en = "Across sectors" }}
page = "{base}/pa-tvers-av-sektorer.html"
related = ["norge-i-verden"]

[[topics]]
slug = "helsenyheter"
title = {{ nb = "Nyheter om helse", en = "Health news" }}

[[sources]]
url = "{base}/norge-i-verden.html"
kind = "page"
topics = ["norge-i-verden"]
interval = "10s"

[[sources]]
url = "{base}/pa-tvers-av-sektorer.html"
kind = "page"
topics = ["pa-tvers-av-sektorer"]
interval = "10s"

[[sources]]
url = "{base}/nyheter.xml"
kind = "feed"
topics = ["helsenyheter"]
interval = "10s"
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _change_forever(page: Path, every: int, stop: threading.Event) -> None:
    """Add a dated paragraph to the sample page every ``every`` seconds."""
    count = 0
    while not stop.wait(every):
        count += 1
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        text = page.read_text(encoding="utf-8")
        paragraph = (
            f"<h2>Oppdatering {count}</h2><p>Folkehelseinstituttet har publisert ny kunnskap om "
            f"internasjonalt samarbeid (demo-endring {count}, {stamp} UTC).</p>\n<!--updates-->"
        )
        page.write_text(text.replace("<!--updates-->", paragraph, 1), encoding="utf-8")
        log.info("demo: changed %s (change %d)", page.name, count)


class SampleSiteError(Exception):
    """The sample site cannot be served on its port."""


def _sample_site(port: int, folder: Path) -> ThreadingHTTPServer:
    try:
        return ThreadingHTTPServer(
            ("127.0.0.1", port), partial(_QuietHandler, directory=str(folder))
        )
    except OSError as exc:
        raise SampleSiteError(
            f"cannot serve the sample site on 127.0.0.1:{port}: {exc.strerror or exc}; "
            "choose another --sample-port"
        ) from exc


def _demo_only(demo_dir: Path, catalogue: Path, port: int) -> dict[str, object]:
    """Return the settings that keep the demo to ``demo_dir``, away from the real installation.

    Run with the installation's own settings, the demo applied its catalogue to the database
    `varsel run` uses (var/varsel.db, or VARSEL_DATABASE_URL) and retired every topic of the
    operator's own, and wrote mail into their outbox or through their relay, signed with their
    DKIM key. Its own SQLite file, in-process events and outbox folder touch none of that.
    """
    return {
        "var_dir": demo_dir,
        "database_url": "",
        "broker_url": "",
        "smtp_url": "",
        "dkim_selector": "",
        "dkim_domain": "",
        "dkim_private_key_path": None,
        "bounce_address": "",
        "bounce_smtp_port": None,
        "bounce_webhook_secret": "",
        "operator_emails": (),
        "config": catalogue,
        "allow_private_addresses": True,
        "base_url": f"http://127.0.0.1:{port}",
        "admin_url": "",
    }


def run_demo(
    settings: Settings,
    listening: socket.socket,
    *,
    port: int,
    sample_port: int,
    change_every: int,
) -> None:
    """Serve the sample site, configure varsel for it, and run everything until Ctrl-C.

    ``listening`` is varsel's own socket, bound to ``port`` already, so a port in use is said
    before anything starts.
    """
    from shared.runtime import build_runtime
    from varsel.app import create_app, server_config

    demo_dir = settings.var_dir / "demo"
    site_dir = demo_dir / "site"
    private_folder(site_dir)  # and the demo's folder above it, which holds its database
    for sample in SITE.iterdir():
        (site_dir / sample.name).write_bytes(sample.read_bytes())
    base = f"http://127.0.0.1:{sample_port}"
    catalogue = demo_dir / "varsel.toml"
    catalogue.write_text(CATALOGUE.format(base=base), encoding="utf-8")
    settings = settings.model_copy(update=_demo_only(demo_dir, catalogue, port))
    server = _sample_site(sample_port, site_dir)
    upgrade(settings.resolved_database_url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    threading.Thread(
        target=_change_forever,
        args=(site_dir / "norge-i-verden.html", change_every, stop),
        daemon=True,
    ).start()
    log.info(
        "demo: keeps everything in %s (its own database, outbox and sample site); the "
        "installation `varsel run` serves, in %s or VARSEL_DATABASE_URL, is not touched",
        demo_dir,
        demo_dir.parent,
    )
    log.info(
        "demo: sample site on %s; sign up at http://127.0.0.1:%d/subscribe/norge-i-verden; "
        "mail goes to %s",
        base,
        port,
        settings.outbox_dir,
    )
    app = create_app(build_runtime(settings))
    try:
        served = uvicorn.Server(server_config(app, host="127.0.0.1", port=port))
        event_loop.run(served.serve(sockets=[listening]))
    finally:
        stop.set()
        server.shutdown()
