"""Test infrastructure: the PostgreSQL and RabbitMQ a test run uses, and a whole plr stack on them.

Servers come from PLR_TEST_DATABASE_ADMIN_URL, PLR_TEST_AMQP_URI and PLR_TEST_AMQP_MANAGEMENT_URL
(`make test` points them at the machine's servers); where none is named and Docker exists,
testcontainers starts them; otherwise integration tests are skipped, except in CI (CI=true) where a
missing server is a failure. Each run makes its own databases, roles and vhost with a unique suffix
and drops them afterwards, so nothing left by an earlier run can decide a test.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from services.common.broker_users import (
    ADMIN_USER_SUFFIX,
    BrokerUsers,
    service_uri_variable,
    uri_as,
    with_own_broker_user,
)
from services.common.db import make_engine
from services.common.manifest import manifests
from services.common.migrate import bootstrap_database, migrate_database
from services.common.settings import Settings, load_settings
from services.common.topology import Management, declare_topology, delete_broker_users, ensure_broker_users
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(manifests())  # every installed service (the entry points of pyproject.toml)
# the services with an api (`plr health` asks each, so a system under test starts every one)
API_SERVICES = tuple(name for name, manifest in manifests().items() if manifest.api is not None)
WEB_SERVICES = tuple(name for name, manifest in manifests().items() if manifest.web is not None)
# the services whose database holds the trust directory (`plr trust list --service`); the portal's does not
TRUST_SERVICES = tuple(name for name, manifest in manifests().items() if manifest.trust_directory)
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure, not a skip)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Infra:
    pg_admin_url: str
    amqp_uri: str
    management_url: str


def _reachable(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), timeout=3):
            return True
    except OSError:
        return False


def _from_testcontainers() -> Infra | None:
    try:
        from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]
        from testcontainers.rabbitmq import RabbitMqContainer  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
    except Exception:  # no Docker engine here: the documented fallback is to skip (or fail in CI)
        return None
    postgres = PostgresContainer("postgres:15").start()
    rabbit = RabbitMqContainer("rabbitmq:3.10-management").start()
    pg_url = postgres.get_connection_url().replace("+psycopg2", "")
    host, port = rabbit.get_container_host_ip(), rabbit.get_exposed_port(5672)
    mgmt_port = rabbit.get_exposed_port(15672)
    return Infra(pg_url, f"amqp://guest:guest@{host}:{port}/", f"http://guest:guest@{host}:{mgmt_port}")


def discover_infra() -> Infra:
    pg = os.environ.get("PLR_TEST_DATABASE_ADMIN_URL")
    amqp = os.environ.get("PLR_TEST_AMQP_URI")
    mgmt = os.environ.get("PLR_TEST_AMQP_MANAGEMENT_URL")
    if not (pg and amqp and mgmt):
        found = _from_testcontainers()
        if found is None:
            unavailable("no PostgreSQL/RabbitMQ named (PLR_TEST_*) and no Docker for testcontainers")
        assert found is not None
        return found
    for url, port, what in ((pg, 5432, "PostgreSQL"), (amqp, 5672, "RabbitMQ"), (mgmt, 15672, "RabbitMQ management")):
        if not _reachable(url, port):
            unavailable(f"{what} is not reachable at {urlsplit(url).hostname}:{urlsplit(url).port or port}")
    return Infra(pg, amqp, mgmt)


def _with_path(url: str, path: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        netloc = user + "@" + netloc.split("@")[-1]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


@dataclass
class PlrStack:
    """One run's own databases, roles and vhost, migrated, with the settings that name them."""

    infra: Infra
    suffix: str
    env: dict[str, str]
    settings: Settings
    _engines: dict[tuple[str, str], sa.engine.Engine] = field(default_factory=dict)

    @property
    def vhost(self) -> str:
        return self.settings.amqp_vhost

    def engine(self, service: str, role: str = "app") -> sa.engine.Engine:
        key = (service, role)
        if key not in self._engines:
            database = self.settings.database(service)
            url = {"app": database.app_url, "owner": database.owner_url}[role]
            self._engines[key] = make_engine(url, pool_size=3, application_name=f"plr-test-{service}-{role}")
        return self._engines[key]

    def admin_engine(self, database: str) -> sa.engine.Engine:
        return make_engine(_with_path(self.infra.pg_admin_url, "/" + database), pool_size=1)

    def management(self) -> Management:
        return Management(self.settings.management_url(), self.vhost)

    def process(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """``plr-process SERVICE ROLE``, given only that service's settings."""
        env = {**service_env({**os.environ, **self.env}, args[0]), **(extra_env or {})}
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "plr-process"), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def plr(
        self, *args: str, input: str | None = None, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``plr`` with the stack's settings (or ``env``): the administrator's broker connection alone."""
        env = with_own_broker_user({**os.environ, **(self.env if env is None else env)}, None)
        return subprocess.run(
            [str(Path(sys.executable).parent / "plr"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


def stack_users(suffix: str) -> BrokerUsers:
    """A run's own broker users (users are global in RabbitMQ: each run names its own, and deletes them)."""
    return BrokerUsers(f"plr-t{suffix}-")


def stack_env(infra: Infra, suffix: str) -> dict[str, str]:
    """A run's settings: ``PLR_AMQP_URI`` is the administrator's (for ``plr``), and each service's own
    connection is kept as ``PLR_AMQP_URI_<SERVICE>`` (a process of the service is given it as its
    ``PLR_AMQP_URI``; see ``service_env``). The passwords are in the URIs."""
    vhost = f"/plr-t{suffix}"
    users = stack_users(suffix)
    amqp_uri = _with_path(infra.amqp_uri, "/" + quote(vhost, safe=""))
    env = {
        "PLR_ENV_FILE": "/nonexistent/plr.env",
        "PLR_AMQP_URI": uri_as(amqp_uri, users.admin, secrets.token_urlsafe(24)),
        "PLR_AMQP_USER_PREFIX": users.prefix,
        "PLR_AMQP_MANAGEMENT_URL": infra.management_url,
        "PLR_DATABASE_ADMIN_URL": infra.pg_admin_url,
        "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32),
        "PLR_REGISTRY_PORTAL_TOKEN": secrets.token_urlsafe(32),
        "PLR_MATCHING_PORTAL_TOKEN": secrets.token_urlsafe(32),
        "PLR_REGISTRY_MATCHING_TOKEN": secrets.token_urlsafe(32),
        "PLR_REGISTRY_CONFIRM_LINK_KEY": secrets.token_urlsafe(32),
        "PLR_RELAY_INTERVAL_S": "0.1",
        "PLR_LOG_LEVEL": "INFO",
    }
    for service, manifest in manifests().items():
        env[service_uri_variable(service)] = uri_as(amqp_uri, users.of(service), secrets.token_urlsafe(24))
        db = f"plr_t{suffix}_{service}"
        env[manifest.database_url_variable] = _with_path(infra.pg_admin_url, "/" + db, f"{db}_app")
        env[manifest.database_owner_url_variable] = _with_path(infra.pg_admin_url, "/" + db, f"{db}_owner")
    return env


def service_env(env: dict[str, str], service: str) -> dict[str, str]:
    """``env`` without the other services' databases and api addresses: what one process of
    ``service`` is given, so that a test proves it needs nothing of another service."""
    others = [m for name, m in manifests().items() if name != service]
    mine = manifests()[service]
    # a web process, or a worker, calls the apis whose settings it reads
    called = {other for role in ("web", "worker") for other, _ in mine.reads_of(role)}
    foreign = {v for m in others for v in (m.database_url_variable, m.database_owner_url_variable)}
    foreign |= {
        v
        for m in others
        if m.api is not None and m.name not in called
        for v in (m.api_listen_variable, m.api_target_variable)
    }
    return with_own_broker_user({name: value for name, value in env.items() if name not in foreign}, service)


def broker_passwords(env: dict[str, str]) -> dict[str, str]:
    """The password of each broker user of a stack's settings, by service (``admin``: the administrator)."""
    passwords = {ADMIN_USER_SUFFIX: urlsplit(env["PLR_AMQP_URI"]).password or ""}
    for service in SERVICES:
        passwords[service] = urlsplit(env[service_uri_variable(service)]).password or ""
    return passwords


@contextmanager
def plr_stack(infra: Infra, services: tuple[str, ...] = SERVICES) -> Iterator[PlrStack]:
    suffix = secrets.token_hex(4)
    env = stack_env(infra, suffix)
    for manifest in manifests().values():
        if manifest.api is not None:
            env[manifest.api_listen_variable] = env[manifest.api_target_variable] = f"127.0.0.1:{free_port()}"
        if manifest.web is not None:
            env[manifest.web_listen_variable] = f"127.0.0.1:{free_port()}"
    if "PLR_PORTAL_WEB_LISTEN" in env:  # the registry's emailed links point at this run's portal
        env["PLR_REGISTRY_PORTAL_URL"] = f"http://{env['PLR_PORTAL_WEB_LISTEN']}"
        env["PLR_PORTAL_PUBLIC_URL"] = env["PLR_REGISTRY_PORTAL_URL"]  # and the portal's own
    # a `make run` of the tests' own keeps its mail catcher apart from a developer's (and another run's)
    mail = tempfile.mkdtemp(prefix=f"plr-mail-{suffix}-")
    mail_port = free_port()
    env["PLR_MAIL_CATCHER_LISTEN"], env["PLR_MAIL_DIR"] = f"127.0.0.1:{mail_port}", mail
    # registrations and invitations are mailed: every stack's workers and portal send to its own catcher
    env["PLR_REGISTRY_SMTP_URL"] = env["PLR_PORTAL_SMTP_URL"] = f"smtp://127.0.0.1:{mail_port}"
    settings = load_settings(env)
    stack = PlrStack(infra, suffix, env, settings)
    from services.common.admin.mail_catcher import start_catcher

    catcher = start_catcher(Path(mail), "127.0.0.1", mail_port)
    try:
        ensure_broker_users(stack.management(), settings.broker_users, broker_passwords(env))
        for service in services:
            manifest = manifests()[service]
            database = settings.database(service)
            bootstrap_database(infra.pg_admin_url, database)
            migrate_database(database, manifest.migrations)
            publisher = (service, settings.broker_users.of(service))
            declare_topology(settings.management_url(), settings.amqp_vhost, manifest.queues, publisher)
        yield stack
    finally:
        catcher.stop()
        stack.dispose()
        drop_stack(infra, settings)
        shutil.rmtree(mail, ignore_errors=True)


def drop_stack(infra: Infra, settings: Settings) -> None:
    management = Management(settings.management_url(), settings.amqp_vhost)
    try:
        try:
            management.delete_vhost()
        finally:
            delete_broker_users(management, settings.broker_users, SERVICES)
    finally:  # the databases go even when the broker is gone (a fault test may have killed it)
        drop_databases(infra, settings)


def drop_databases(infra: Infra, settings: Settings) -> None:
    admin = make_engine(infra.pg_admin_url, pool_size=1)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for database in settings.databases.values():
                dbname = urlsplit(database.app_url).path.lstrip("/")
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
                for url in (database.app_url, database.owner_url):
                    role = urlsplit(url).username
                    connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    finally:
        admin.dispose()


def wait_for(condition, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll until ``condition()`` is truthy; return its value, or fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
