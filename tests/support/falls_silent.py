"""A TCP proxy to a real server that can stop answering, as a partition or a paused server does."""

from __future__ import annotations

import socket
import threading


class FallsSilent:
    """A loopback TCP proxy to PostgreSQL that can stop answering, as a partitioned network
    or a paused server does: from ``silence()`` on, what either side sends is held, never
    passed on, and new connections are taken and never answered; none is closed."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._silent = threading.Event()
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
            if self._silent.is_set():
                continue  # taken, never answered
            server = socket.create_connection(self._upstream)
            self._sockets.append(server)
            threading.Thread(target=self._pass, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pass, args=(server, client), daemon=True).start()

    def _pass(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self._silent.is_set():
                    return  # held: the other side never hears of it
                target.sendall(data)
            if not self._silent.is_set():
                target.shutdown(socket.SHUT_WR)  # passes the hang-up on
        except OSError:
            return

    def silence(self) -> None:
        """Stop answering on every connection, open or to come."""
        self._silent.set()

    def close(self) -> None:
        """Close everything."""
        self._listener.close()
        for sock in self._sockets:
            sock.close()
