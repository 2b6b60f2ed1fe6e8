"""``python -m services.common.healthcheck SERVICE ROLE``: the container health check of one process,
for every service alike (docker-compose.yml): exit 0 when healthy, 1 when not or on bad usage or
settings (a health check's 2 is reserved by Docker).

An ``api`` is asked the standard gRPC health service on its own listening port (as ``plr health`` asks
it); a ``web`` process its ``GET /healthz`` on its own listening port; a ``worker`` is healthy while
its heartbeat is fresh. It reads only its own service's settings, which are all its container has. A
process that serves metrics (``PLR_METRICS_PORT``, as every container does) is checked from them
instead, at a twentieth of the cost (:func:`from_metrics`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import sys
import time
import urllib.request
from collections.abc import Mapping

from services.common.manifest import ManifestError, manifests

# how old a worker's heartbeat may be (here and in `plr health`)
HEARTBEAT_STALE_S = 15.0


def from_metrics(service: str, role: str, env: Mapping[str, str]) -> tuple[bool, str] | None:
    """The check from the process's own metrics endpoint, when it serves one (``PLR_METRICS_PORT``): the
    standard library only, some 50 ms of CPU instead of the full check's second, which matters when a
    container engine runs every check every few seconds. A worker is healthy while its own relay's last
    heartbeat (recorded in its database, then in the gauge) is fresh; an api while its gRPC health
    service says SERVING and its port accepts connections. None: no endpoint, use the full check."""
    port = env.get("PLR_METRICS_PORT", "0")
    if role not in ("api", "worker") or not port.isdigit() or int(port) == 0:
        return None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{int(port)}/metrics", timeout=3) as response:
            text = response.read().decode()
    except OSError as error:
        return False, f"metrics endpoint on port {port} does not answer: {error}"
    if role == "worker":
        found = re.search(
            rf'^plr_worker_last_heartbeat_timestamp_seconds{{service="{re.escape(service)}"}} (\S+)$', text, re.M
        )
        if found is None:
            return False, "has not recorded a heartbeat yet"
        age = time.time() - float(found.group(1))
        return age < HEARTBEAT_STALE_S, f"last heartbeat {age:.1f}s ago"
    serving = re.search(r"^plr_api_serving (\S+)$", text, re.M)
    if serving is None or float(serving.group(1)) != 1.0:
        return False, "not SERVING"
    listen = env.get(f"PLR_{service.upper()}_API_LISTEN", "")
    api_port = listen.rsplit(":", 1)[-1]
    if api_port.isdigit():
        try:
            socket.create_connection(("127.0.0.1", int(api_port)), timeout=3).close()
        except OSError as error:
            return False, f"port {api_port} refuses connections: {error}"
    return True, "SERVING"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    fast = from_metrics(args[0], args[1], os.environ) if len(args) == 2 else None
    if fast is not None:
        ok, detail = fast
        print(f"{args[0]} {args[1]}: {detail}", file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    try:
        found = manifests()
    except ManifestError as error:
        print(f"healthcheck: {error}", file=sys.stderr)
        return 1
    if (
        len(args) != 2
        or args[0] not in found
        or args[1] not in ("api", "worker", "web")
        or args[1] not in found[args[0]].roles
    ):
        print(f"usage: python -m services.common.healthcheck {{{'|'.join(found)}}} {{api|worker|web}}", file=sys.stderr)
        return 1
    service, role = args

    from services.common.admin.operations import api_health, web_health, worker_health
    from services.common.db import is_database_fault
    from services.common.settings import load_or_exit

    try:
        settings = load_or_exit(services=(service,), role=role)  # says which setting, then exits 2
    except SystemExit:
        return 1
    # well inside the health check's own timeout (10 s in docker-compose.yml)
    settings = dataclasses.replace(settings, connect_timeout_s=3, statement_timeout_ms=3000)
    if role == "api":
        # the address it listens on (0.0.0.0:PORT in a container), asked from inside its container
        # its certificate names the address its clients use, not 127.0.0.1
        server_name = settings.api(service).target.rsplit(":", 1)[0]
        local = "127.0.0.1:" + settings.api(service).listen.rsplit(":", 1)[1]
        check = api_health(service, local, settings.grpc_tls, server_name)
    elif role == "web":
        check = web_health(service, "127.0.0.1:" + settings.webs[service].rsplit(":", 1)[1])
    else:
        try:
            check = worker_health(settings, service)
        except Exception as error:
            if not is_database_fault(error):
                raise
            print(f"{service} worker: its database cannot be read: {type(error).__name__}", file=sys.stderr)
            return 1
    print(f"{check.name}: {check.detail}", file=sys.stdout if check.ok else sys.stderr)
    return 0 if check.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
