"""Whether an address can be listened on, asked before a process starts serving on it.

grpcio's own answer to a taken port is a multi-line C-core log line, then a RuntimeError that says to
set GRPC_VERBOSITY; an administrator needs the address and the reason instead.
"""

from __future__ import annotations

import socket


def why_cannot_listen(listen: str) -> str | None:
    """Why ``host:port`` cannot be listened on (e.g. "address already in use"), or None if it can."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as grpcio's own socket does
            probe.bind((host or "0.0.0.0", int(port)))
    except (OSError, ValueError, OverflowError) as error:
        return (getattr(error, "strerror", None) or str(error)).lower()
    return None
