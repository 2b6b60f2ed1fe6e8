"""``python -m services.common.healthcheck SERVICE ROLE``: the container health check of one process,
for every service alike (docker-compose.yml): exit 0 when healthy, 1 when not or on bad usage or
settings (a health check's 2 is reserved by Docker).

An ``api`` is asked the standard gRPC health service on its own listening port (as ``plr health`` asks
it); a ``worker`` is healthy while its heartbeat is fresh. It reads only its own service's settings,
which are all its container has.
"""

from __future__ import annotations

import dataclasses
import sys

from services.common.manifest import ManifestError, manifests


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        found = manifests()
    except ManifestError as error:
        print(f"healthcheck: {error}", file=sys.stderr)
        return 1
    if (
        len(args) != 2
        or args[0] not in found
        or args[1] not in ("api", "worker")
        or args[1] not in found[args[0]].roles
    ):
        print(f"usage: python -m services.common.healthcheck {{{'|'.join(found)}}} {{api|worker}}", file=sys.stderr)
        return 1
    service, role = args

    from services.common.admin.operations import api_health, worker_health
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
        check = api_health(service, "127.0.0.1:" + settings.api(service).listen.rsplit(":", 1)[1])
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
