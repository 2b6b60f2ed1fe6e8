"""``plr-process SERVICE ROLE``: run one process of a service (api, worker or migrate).

Each service is one image; these are its processes. ``worker`` is eventlet-patched before anything
else is imported; ``api`` and ``migrate`` are not (a grpcio server in a patched process never answers).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

ROLES = ("api", "worker", "migrate")
HAS_API = ("registry",)


def usage() -> str:
    return "usage: plr-process {registry|matching|recruitment|integration} {api|worker|migrate}"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    from services.common.settings import SERVICES

    if len(args) != 2 or args[0] not in SERVICES or args[1] not in ROLES:
        print(usage(), file=sys.stderr)
        raise SystemExit(2)
    service, role = args
    if role == "api" and service not in HAS_API:
        print(f"plr-process: {service} has no api process yet", file=sys.stderr)
        raise SystemExit(2)
    if role == "worker":
        from services.common.green import monkey_patch

        monkey_patch()

    from services.common.logs import configure_logging
    from services.common.settings import load_or_exit

    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",) if role == "api" else ())
    configure_logging(f"{service}-{role}", settings.log_level)
    log = logging.getLogger("plr.process")
    if role == "migrate":
        run_migrate(service)
    elif role == "api":
        module = importlib.import_module(f"services.{service}.entrypoints.api")
        module.run(settings)
    else:
        module = importlib.import_module(f"services.{service}.entrypoints.worker")
        module.run(settings)
    log.info("%s %s exited", service, role)


def migrations_dir(service: str) -> Path:
    return Path(__file__).resolve().parents[1] / service / "migrations"


def run_migrate(service: str) -> None:
    from services.common.migrate import bootstrap_database, migrate_database
    from services.common.settings import load_or_exit
    from services.common.topology import TopologyError, declare_topology

    settings = load_or_exit()
    log = logging.getLogger("plr.migrate")
    database = settings.database(service)
    try:
        if settings.database_admin_url:
            bootstrap_database(settings.database_admin_url, database)
        revision = migrate_database(database, migrations_dir(service))
        log.info("%s database at revision %s", service, revision)
        queues = importlib.import_module(f"services.{service}.adapters.topology").QUEUES
        declare_topology(settings.amqp_management_url, settings.amqp_vhost, queues)
        log.info("%s topology declared on vhost %s (%d consumer queues)", service, settings.amqp_vhost, len(queues))
    except TopologyError as error:
        print(f"plr-process: {service} migrate: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as error:
        import sqlalchemy as sa

        if isinstance(error, sa.exc.OperationalError):
            print(f"plr-process: {service} migrate: database unreachable: {error.orig}".strip(), file=sys.stderr)
            raise SystemExit(1) from None
        raise


if __name__ == "__main__":
    main()
