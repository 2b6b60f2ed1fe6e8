"""``plr-process SERVICE ROLE``: run one process of a service (api, worker or migrate).

Each service is one image; these are its processes, as its manifest (services/common/manifest.py)
declares them. ``worker`` is eventlet-patched before anything else is imported; ``api`` and
``migrate`` are not (a grpcio server in a patched process never answers).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from services.common.manifest import ROLES  # the standard library only, so the patch still comes first

if TYPE_CHECKING:
    from services.common.manifest import ServiceManifest
    from services.common.settings import Settings


def usage(services: tuple[str, ...]) -> str:
    return f"usage: plr-process {{{'|'.join(services)}}} {{{'|'.join(ROLES)}}}"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[1] == "worker":
        # before the manifests are read: they import the platform modules the worker patches
        from services.common.green import monkey_patch

        monkey_patch()
    from services.common.manifest import ManifestError, manifests

    try:
        found = manifests()
    except ManifestError as error:
        print(f"plr-process: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if len(args) != 2 or args[0] not in found or args[1] not in ROLES:
        print(usage(tuple(found)), file=sys.stderr)
        raise SystemExit(2)
    service, role = args
    manifest = found[service]
    if role not in manifest.roles:
        print(f"plr-process: {service} has no {role} process yet", file=sys.stderr)
        raise SystemExit(2)

    from services.common.logs import configure_logging
    from services.common.settings import SettingsError, load_settings

    # JSON from the first line on: a bad setting, or a crash at start, is a log line like any other
    configure_logging(f"{service}-{role}")
    log = logging.getLogger("plr.process")
    # its own service's settings only: a matching worker needs no registry database
    require = manifest.api.requires if role == "api" and manifest.api is not None else ()
    try:
        settings = load_settings(services=(service,), require=require, role=role)
    except (SettingsError, ManifestError) as error:
        log.error("configuration error: %s", error)
        raise SystemExit(2) from None
    configure_logging(f"{service}-{role}", settings.log_level)
    try:
        from services.common.metrics import serve_metrics

        serve_metrics(settings.metrics_port)
        if role == "migrate":
            run_migrate(manifest, settings)
        elif role == "api":
            assert manifest.api is not None
            manifest.api.run(settings)
        elif role == "web":
            from services.common.web import serve_web

            serve_web(manifest, settings)
        else:
            from services.common.projection_worker import run_manifest_worker

            run_manifest_worker(manifest, settings)
    except Exception:
        # one line (the error's type and message) instead of a traceback; the exit status says it failed
        log.exception("%s %s stopped by an error", service, role)
        raise SystemExit(1) from None
    log.info("%s %s exited", service, role)


def run_migrate(manifest: ServiceManifest, settings: Settings) -> None:
    """Migrate, retrying the whole (idempotent) migration while the database or broker cannot be reached
    at all, for up to ``PLR_MIGRATE_WAIT_S``: in a deployment both may be starting with it, or their names
    may not resolve yet (a container network's DNS, a Kubernetes Service). A refusal (a role, a password)
    or any other error ends it at once."""
    import time

    import sqlalchemy as sa

    from services.common.db import is_db_configuration_error
    from services.common.topology import BrokerUnreachable, TopologyError

    log = logging.getLogger("plr.migrate")
    deadline = time.monotonic() + settings.migrate_wait_s
    while True:
        try:
            migrate_once(manifest, settings)
            return
        except (BrokerUnreachable, sa.exc.OperationalError) as error:
            what = "broker unreachable" if isinstance(error, BrokerUnreachable) else "database unreachable"
            if isinstance(error, sa.exc.OperationalError):
                if is_db_configuration_error(error):
                    what = "database refused the connection"
                detail = str(error.orig).strip()
            else:
                detail = str(error)
            if what == "database refused the connection" or time.monotonic() > deadline:
                log.error("%s migrate: %s: %s", manifest.name, what, detail)
                raise SystemExit(1) from None
            log.warning("%s migrate: %s, retrying in 2s: %s", manifest.name, what, detail)
            time.sleep(2)
        except TopologyError as error:
            log.error("%s migrate: %s", manifest.name, error)
            raise SystemExit(1) from None


def migrate_once(manifest: ServiceManifest, settings: Settings) -> None:
    from services.common.migrate import bootstrap_database, migrate_database
    from services.common.topology import declare_topology

    service = manifest.name
    log = logging.getLogger("plr.migrate")
    database = settings.database(service)
    if settings.database_admin_url:
        bootstrap_database(settings.database_admin_url, database)
    revision = migrate_database(database, manifest.migrations)
    log.info("%s database at revision %s", service, revision)
    queues = manifest.queues
    user = settings.broker_users.of(service)
    ensure_own_broker_user(settings, service)
    declare_topology(settings.management_url(), settings.amqp_vhost, queues, publisher=(service, user))
    log.info(
        "%s topology declared on vhost %s (%d consumer queues; broker user %s)",
        service,
        settings.amqp_vhost,
        len(queues),
        user,
    )


def ensure_own_broker_user(settings: Settings, service: str) -> None:
    """When migrate is given its service's own broker connection (as a deployment gives every process of
    the service), it makes that broker user, or sets its password, from the URI: as it does the database
    roles from their URLs. Needs the management URL's user to be an administrator."""
    from urllib.parse import unquote, urlsplit

    from services.common.broker_users import connection_user
    from services.common.topology import Management

    user = settings.broker_users.of(service)
    if connection_user(settings.amqp_uri) == user:
        password = unquote(urlsplit(settings.amqp_uri).password or "")
        Management(settings.management_url(), settings.amqp_vhost).user(user, password)


if __name__ == "__main__":
    main()
