"""A TCP proxy to a real server that can stop answering, as a partition or a paused server does."""

from __future__ import annotations

import getpass
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url

from tests.support.databases import migrated_postgres_database

# What PostgreSQL sends when a connection is signed in and idle: ReadyForQuery, status idle.
READY_FOR_QUERY = b"Z\x00\x00\x00\x05I"


class FallsSilent:
    """A loopback TCP proxy to PostgreSQL (or RabbitMQ) that can stop answering, as a
    partitioned network or a paused server does: from ``silence()`` on, what either side
    sends is held, never passed on, and new connections are taken and never answered; none
    is closed.

    ``at_first_statement_of`` silences it by itself: when the connection of that number (the
    first is 0) sends its first statement once signed in, which is held unanswered.
    """

    def __init__(self, host: str, port: int, *, at_first_statement_of: int | None = None) -> None:
        self._upstream = (host, port)
        self._silent = threading.Event()
        self._watched = at_first_statement_of
        self._signed_in = threading.Event()  # the watched connection's server is ready for it
        self._accepted = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._sockets.append(client)
            watched = self._accepted == self._watched
            self._accepted += 1
            if self._silent.is_set():
                continue  # taken, never answered
            server = socket.create_connection(self._upstream)
            self._sockets.append(server)
            for source, target, asks in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pass, args=(source, target, watched and asks, watched), daemon=True
                ).start()

    def _pass(
        self, source: socket.socket, target: socket.socket, asks: bool, watched: bool
    ) -> None:
        try:
            while data := source.recv(65536):
                if watched and asks and self._signed_in.is_set():
                    self._silent.set()  # the watched connection's first statement
                if self._silent.is_set():
                    return  # held: the other side never hears of it
                target.sendall(data)
                if watched and not asks and READY_FOR_QUERY in data:
                    self._signed_in.set()
            if not self._silent.is_set():
                target.shutdown(socket.SHUT_WR)  # passes the hang-up on
        except OSError:
            return

    def silence(self) -> None:
        """Stop answering on every connection, open or to come."""
        self._silent.set()

    def speak(self) -> None:
        """Answer again on connections to come. One that sent something while silent stays
        silent (what it sent was lost), as does one taken while silent."""
        self._silent.clear()

    def close(self) -> None:
        """Close everything."""
        self._listener.close()
        for sock in self._sockets:
            sock.close()


@contextmanager
def through_a_proxy(
    catalogue: Path | None = None, *, at_first_statement_of: int | None = None
) -> Iterator[tuple[FallsSilent, str, dict[str, str]]]:
    """A migrated PostgreSQL database behind a loopback proxy that falls silent when told (or
    at the first statement of connection ``at_first_statement_of``); yield the proxy, the
    password in varsel's URL, and varsel's environment (with ``catalogue`` if given)."""
    with migrated_postgres_database() as direct:
        url = make_url(direct)
        proxy = FallsSilent(
            url.host or "127.0.0.1", url.port or 5432, at_first_statement_of=at_first_statement_of
        )
        # A trusting server takes any password; asyncpg's user is the login's when none is set.
        secret = url.password or "not-to-be-logged"
        user = url.username or getpass.getuser()
        through = url.set(host="127.0.0.1", port=proxy.port, username=user, password=secret)
        env = {
            "VARSEL_DATABASE_URL": through.render_as_string(hide_password=False),
            "VARSEL_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
        }
        if catalogue is not None:
            env["VARSEL_CONFIG"] = str(catalogue)
        try:
            yield proxy, secret, env
        finally:
            proxy.close()
