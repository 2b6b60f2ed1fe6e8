"""A small TCP proxy that a fault test owns, to cut a client's connections to a server at will.

Every accepted connection is forwarded to the target; ``cut_all()`` resets every open connection
(SO_LINGER 0, so both ends see a reset, not an orderly close), and ``cut_every()`` keeps doing so
at random intervals from a background thread. The proxy counts what it did, so a test can prove
that its faults happened (``accepted`` above 1 means the client reconnected).
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import struct
import threading
from dataclasses import dataclass, field

RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


@dataclass(eq=False)
class _Link:
    client: socket.socket
    upstream: socket.socket
    cut: threading.Event = field(default_factory=threading.Event)


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, listen_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self._listener = socket.create_server((listen_host, 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._stop_cutting = threading.Event()
        self._cutter: threading.Thread | None = None
        self.accepted = 0
        self.refused = 0  # accepted, but the target was down
        self.cuts = 0  # connections cut
        self.cut_rounds = 0
        self._acceptor = threading.Thread(target=self._accept_loop, name="tcp-proxy-accept", daemon=True)
        self._acceptor.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self.refused += 1
                self._reset(client)
                continue
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self._lock:
                self._links.add(link)
            threading.Thread(target=self._pump, args=(link,), name="tcp-proxy-pump", daemon=True).start()

    def _pump(self, link: _Link) -> None:
        peers = {link.client: link.upstream, link.upstream: link.client}
        try:
            while not link.cut.is_set() and not self._closed.is_set():
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._links.discard(link)
            self._reset(link.client)
            self._reset(link.upstream)

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
        sock.close()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._links)

    def cut_all(self) -> int:
        """Reset every open connection; returns how many were cut."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.cut.set()
        self.cuts += len(links)
        self.cut_rounds += 1
        return len(links)

    def cut_every(self, low_s: float, high_s: float, seed: int = 0) -> None:
        """Cut all connections at random intervals between low_s and high_s until stop_cutting()."""
        chance = random.Random(seed)

        def cut_repeatedly() -> None:
            while not self._stop_cutting.wait(chance.uniform(low_s, high_s)):
                self.cut_all()

        self._stop_cutting.clear()
        self._cutter = threading.Thread(target=cut_repeatedly, name="tcp-proxy-cutter", daemon=True)
        self._cutter.start()

    def stop_cutting(self) -> None:
        self._stop_cutting.set()
        if self._cutter is not None:
            self._cutter.join(timeout=5)
            self._cutter = None

    def close(self) -> None:
        self.stop_cutting()
        self._closed.set()
        self._listener.close()
        self._acceptor.join(timeout=5)
        self.cut_all()
