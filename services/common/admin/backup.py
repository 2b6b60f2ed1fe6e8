"""``plr backup`` and ``plr restore``: every service's database and plr's broker definitions.

What a backup holds (a directory, 0700, its files 0600):

- ``<service>.dump``: each service's whole database (``pg_dump --format=custom``, as the superuser:
  row-level security hides rows from every other role), taken one after another, each a consistent
  snapshot of its own database;
- ``broker.json``: the definitions of plr's vhost on RabbitMQ (exchanges, queues, bindings, policies)
  and of the users with permissions on it (their password hashes, so the file is as secret as a
  password), in the format of the management API's ``/api/definitions``;
- ``backup.json``: when it started (the database clock), each service's schema revision, and how many
  messages each queue held then.

What a backup does not hold: the messages in the queues. They are recovered from the outboxes. Every
event a service ever committed is in its outbox, with ``published_at`` once the broker confirmed it; a
message that sat in a queue at backup time was published before the backup started. So ``plr restore``
marks every event committed since ``--replay-since`` (by default one hour before the backup started)
unpublished again, and each service's relay publishes them once more, in order: the consumers' inboxes
(restored too) drop those they had already applied, and apply the rest. Replaying more than needed
costs only time; replaying less loses what was in flight, so widen ``--replay-since`` when the
``backup.json`` queue depths or the consumers' lag say events waited longer than an hour.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import sqlalchemy as sa

from services.common.admin.console import short
from services.common.broker_users import given_passwords
from services.common.db import make_engine
from services.common.manifest import manifests
from services.common.migrate import bootstrap_database, migrate_database
from services.common.settings import Settings
from services.common.topology import Management, TopologyError, declare_topology, ensure_broker_users

FORMAT = 1
DEFAULT_REPLAY_WINDOW = timedelta(hours=1)
MANIFEST_FILE = "backup.json"
BROKER_FILE = "broker.json"
# what of the broker's definitions belongs to one vhost (each entry names its vhost)
VHOST_SCOPED = ("permissions", "topic_permissions", "parameters", "policies", "queues", "exchanges", "bindings")


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and changes nothing further."""


@dataclass(frozen=True)
class Restored:
    services: tuple[str, ...]
    replayed: dict[str, int]
    replay_since: datetime


def _database_url(admin_url: str, dbname: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, ""))


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment carrying it (not on a command line others see)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        parts = parts._replace(netloc=f"{user}@{netloc[1]}")
    return urlunsplit(parts), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed here (Debian: apt-get install postgresql-client)")
    return found


def _run(args: list[str], url: str) -> None:
    address, env = _libpq(url)
    done = subprocess.run([*args, f"--dbname={address}"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")


def _admin_url(settings: Settings) -> str:
    if not settings.database_admin_url:
        raise BackupError(
            "PLR_DATABASE_ADMIN_URL is not set: backup and restore need PostgreSQL's superuser "
            "(row-level security hides rows from every other role)"
        )
    return settings.database_admin_url


def _dbname(settings: Settings, service: str) -> str:
    return urlsplit(settings.database(service).app_url).path.lstrip("/")


def vhost_definitions(everything: dict[str, Any], vhost: str) -> dict[str, Any]:
    """The part of the broker's definitions that is plr's: its vhost, what lives in it, and the users
    who may use it (with their permissions)."""
    scoped = {key: [item for item in everything.get(key, []) if item.get("vhost") == vhost] for key in VHOST_SCOPED}
    users = {p["user"] for p in scoped["permissions"]} | {p["user"] for p in scoped["topic_permissions"]}
    return {
        "rabbit_version": everything.get("rabbit_version"),
        "users": [user for user in everything.get("users", []) if user["name"] in users],
        "vhosts": [v for v in everything.get("vhosts", []) if v["name"] == vhost],
        **scoped,
    }


def restorable_definitions(saved: dict[str, Any], own_users: set[str], administrator: str) -> dict[str, Any]:
    """What of a backup's broker definitions a restore imports: everything but the users that are not
    plr's own (``own_users``: each service's and plr's administrator's), and never ``administrator``, the
    user whose credentials the restore is using (the management URL's): importing its password hash of
    backup time would change its password under the restore, whose next call would be refused. Another
    user's permissions go with it; the administrator's stay (it exists: the restore is using it)."""
    users = [user for user in saved.get("users", []) if user["name"] in own_users - {administrator}]
    permitted = {user["name"] for user in users} | {administrator}
    return {
        **saved,
        "users": users,
        "permissions": [p for p in saved.get("permissions", []) if p["user"] in permitted],
        "topic_permissions": [p for p in saved.get("topic_permissions", []) if p["user"] in permitted],
    }


@contextmanager
def _reported(what: str) -> Iterator[None]:
    """A server that cannot be reached or refuses, as a BackupError saying so (never a traceback)."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        raise BackupError(f"{what}: PostgreSQL: {short(error)}") from None
    except TopologyError as error:  # the management API: unreachable, or refusing (401, 404)
        raise BackupError(f"{what}: RabbitMQ: {error}") from None


def _new_directory(to: Path) -> Path:
    """``to`` as an absolute path, checked to be a new or empty directory (nothing made yet)."""
    to = to.absolute()
    try:
        if to.exists() and not to.is_dir():
            raise BackupError(f"--to {to} is a file: a backup goes into a new or empty directory")
        if to.is_dir() and any(to.iterdir()):
            raise BackupError(f"--to {to} is not empty: a backup goes into a new or empty directory")
    except OSError as error:
        raise BackupError(f"--to {to} cannot be read: {error.strerror}") from None
    return to


def backup(settings: Settings, to: Path) -> dict[str, Any]:
    """Write a backup of every service's database and of plr's broker definitions to ``to`` (a new or
    empty directory). Returns what ``backup.json`` says. Everything is checked before the directory is
    made: the servers answer and the vhost exists."""
    admin_url = _admin_url(settings)
    _tool("pg_dump")
    to = _new_directory(to)
    management = Management(settings.management_url(), settings.amqp_vhost)
    with _reported("nothing was backed up"):
        if management.request("GET", f"/vhosts/{management.v}", ok=(404,)).status_code == 404:
            raise BackupError(
                f"nothing was backed up: the broker has no vhost {settings.amqp_vhost} (the one PLR_AMQP_URI "
                "names; its services' migrate makes it)"
            )
        engine = make_engine(admin_url, pool_size=1, application_name="plr-backup")
        try:
            with engine.connect() as connection:
                started = connection.execute(sa.select(sa.func.now())).scalar_one()
        finally:
            engine.dispose()
        queues = {str(q["name"]): int(str(q.get("messages", 0) or 0)) for q in management.queues()}
    try:
        to.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(to, 0o700)
    except OSError as error:
        raise BackupError(
            f"nothing was backed up: cannot make {to}: {error.strerror} (in a container, back up under "
            f"/var/lib/plr/files, the one directory plr may write)"
        ) from None
    summary: dict[str, Any] = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "vhost": settings.amqp_vhost,
        "queue_messages_at_start": queues,
        "databases": {},
    }
    incomplete = f"the backup in {to} is incomplete (delete it and run plr backup again)"
    old_umask = os.umask(0o077)
    try:
        with _reported(incomplete):
            _write_backup(settings, to, summary, management)
    except OSError as error:
        raise BackupError(f"{incomplete}: {error}") from None
    except BackupError as error:
        raise BackupError(f"{incomplete}: {error}") from None
    finally:
        os.umask(old_umask)
    return summary


def _write_backup(settings: Settings, to: Path, summary: dict[str, Any], management: Management) -> None:
    """Each service's dump, then the broker's definitions, then ``backup.json`` (last: a directory
    without it is no backup, and ``plr restore`` says so)."""
    admin_url = _admin_url(settings)
    pg_dump = _tool("pg_dump")
    for service in manifests():
        dbname = _dbname(settings, service)
        file = to / f"{service}.dump"
        _run([pg_dump, "--format=custom", f"--file={file}"], _database_url(admin_url, dbname))
        summary["databases"][service] = {
            "database": dbname,
            "file": file.name,
            "revision": _revision(admin_url, dbname),
        }
    everything = management.request("GET", "/definitions").json()
    (to / BROKER_FILE).write_text(json.dumps(vhost_definitions(everything, settings.amqp_vhost), indent=1))
    summary["finished_at"] = datetime.now(UTC).isoformat()
    (to / MANIFEST_FILE).write_text(json.dumps(summary, indent=1))


def _revision(admin_url: str, dbname: str) -> str:
    engine = make_engine(_database_url(admin_url, dbname), pool_size=1, application_name="plr-backup")
    try:
        with engine.connect() as connection:
            return ",".join(connection.execute(sa.text("SELECT version_num FROM alembic_version ORDER BY 1")).scalars())
    finally:
        engine.dispose()


def _has_tables(admin_url: str, dbname: str) -> bool:
    engine = make_engine(admin_url, pool_size=1, application_name="plr-restore")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": dbname}).first()
    finally:
        engine.dispose()
    if not exists:
        return False
    engine = make_engine(_database_url(admin_url, dbname), pool_size=1, application_name="plr-restore")
    try:
        with engine.connect() as connection:
            count = connection.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
    finally:
        engine.dispose()
    return bool(count)


def read_backup(source: Path) -> dict[str, Any]:
    try:
        summary: dict[str, Any] = json.loads((source / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} is not a plr backup: {error}") from None
    if summary.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {summary.get('format')!r}, this plr reads {FORMAT}")
    return summary


def restore(settings: Settings, source: Path, replay_since: datetime | None = None) -> Restored:
    """Restore a backup into empty servers: the broker definitions, then each service's database (its
    roles made first, with the passwords of this installation's settings), upgraded to this code's schema;
    then every event committed since ``replay_since`` is marked unpublished, for the relays to publish
    again (the consumers' inboxes drop what they had applied). What can be checked is checked before
    anything is written; a restore that fails after that says what it wrote and what to do."""
    admin_url = _admin_url(settings)
    _tool("pg_restore")
    summary = read_backup(source)
    services = manifests()
    missing = set(services) - set(summary["databases"])
    if missing:
        raise BackupError(f"the backup has no database for {', '.join(sorted(missing))}")
    if summary["vhost"] != settings.amqp_vhost:
        raise BackupError(f"the backup is of vhost {summary['vhost']}, these settings name {settings.amqp_vhost}")
    management = Management(settings.management_url(), settings.amqp_vhost)
    with _reported("nothing was restored"):
        for service in services:
            if _has_tables(admin_url, _dbname(settings, service)):
                raise BackupError(f"the {service} database already has tables: restore goes into empty servers")
        management.request("GET", "/whoami")  # the administrator's credentials work, before any write
    try:
        saved = json.loads((source / BROKER_FILE).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"nothing was restored: {source / BROKER_FILE}: {error}") from None
    since = replay_since or datetime.fromisoformat(summary["started_at"]) - DEFAULT_REPLAY_WINDOW
    written: list[str] = []
    try:
        return _restore(settings, source, summary, saved, since, management, written)
    except Exception as error:
        why = error if isinstance(error, BackupError) else f"{type(error).__name__}: {short(error)}"
        raise BackupError(
            f"the restore stopped partway ({why}), having written: {', '.join(written) or 'nothing'}. Fix the "
            "cause, drop the databases it wrote (restore goes into empty servers; the broker definitions may "
            'stay) and run plr restore again (docs/operations.md, "Back up and restore")'
        ) from None


def _restore(
    settings: Settings,
    source: Path,
    summary: dict[str, Any],
    saved: dict[str, Any],
    since: datetime,
    management: Management,
    written: list[str],
) -> Restored:
    """The writes of ``restore``; ``written`` collects what it has begun to write."""
    admin_url = _admin_url(settings)
    pg_restore = _tool("pg_restore")
    services = manifests()
    users = settings.broker_users
    own_users = {users.admin, *(users.of(service) for service in services)}
    written.append(f"the broker definitions of {settings.amqp_vhost}")
    management.request("POST", "/definitions", restorable_definitions(saved, own_users, management.auth[0]))
    # plr's own users this installation's settings give a password (`make run`, the tests): that one, not
    # the backup's; the others keep theirs until their service's migrate sets it (docs/operations.md)
    ensure_broker_users(management, users, given_passwords(users, settings.amqp_uri, settings.service_amqp_uris))
    replayed = {}
    for service, manifest in services.items():
        database = settings.database(service)
        written.append(f"database {_dbname(settings, service)}")
        bootstrap_database(admin_url, database)
        url = _database_url(admin_url, _dbname(settings, service))
        _run(
            [
                pg_restore,
                "--exit-on-error",
                "--single-transaction",
                str(source / summary["databases"][service]["file"]),
            ],
            url,
        )
        migrate_database(database, manifest.migrations)
        declare_topology(
            settings.management_url(), settings.amqp_vhost, manifest.queues, publisher=(service, users.of(service))
        )
        engine = make_engine(url, pool_size=1, application_name="plr-restore")
        try:
            with engine.begin() as connection:
                replayed[service] = connection.execute(
                    sa.text(
                        "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL AND created_at >= :since"
                    ),
                    {"since": since},
                ).rowcount
        finally:
            engine.dispose()
    return Restored(tuple(services), replayed, since)
