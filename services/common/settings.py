"""Settings from the environment, validated at start (twelve-factor).

A missing or malformed variable stops the process with one line naming it. Values may also come from
an env file (``PLR_ENV_FILE``, default ``.plr/plr.env`` at the project root, written by ``make run``)
so that an administrator's shell can run ``.venv/bin/plr`` without exporting anything; the process
environment always wins over the file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from services.common.manifest import MANAGEMENT_ROLES, MANAGEMENT_URL_VARIABLE

if TYPE_CHECKING:
    from services.common.broker_users import BrokerUsers
    from services.common.manifest import ServiceManifest, Setting

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ENV_FILE = PROJECT_ROOT / ".plr" / "plr.env"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise SettingsError(f"{path}:{number}: expected NAME=value")
        name, _, value = line.partition("=")
        values[name.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def environment() -> dict[str, str]:
    file = Path(os.environ.get("PLR_ENV_FILE", str(DEFAULT_ENV_FILE)))
    merged = read_env_file(file)
    merged.update(os.environ)
    return merged


def _check_key_pair(cert_variable: str, cert_path: str, key_variable: str, key_path: str) -> None:
    """A certificate and its key, loaded together now: swapped, mismatched or unreadable files are named
    at start, not met later as grpcio's "failed to bind" or a failed handshake."""
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise SettingsError(
            f"{cert_variable} and {key_variable} are not a certificate and its private key ({reason}): "
            "check that neither is swapped and that the key is the certificate's"
        ) from None


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, name: str, default: str | None = None) -> str:
        value = self.env.get(name, default)
        if value is None or value == "":
            raise SettingsError(f"{name} is not set")
        return value

    def url(self, name: str, schemes: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name, default)
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise SettingsError(
                f"{name} is malformed: expected a {' or '.join(schemes)} URL with a host, got {_redact(value)!r}"
            )
        return value

    def number(self, name: str, default: str, low: float, high: float) -> float:
        raw = self.text(name, default)
        try:
            return number(low, high)(raw)
        except ValueError as error:
            raise SettingsError(f"{name} is malformed: {error}, got {raw!r}") from None

    def address(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if not re.fullmatch(r"[\w.\-\[\]:]+:\d{1,5}", value) or int(value.rsplit(":", 1)[1]) > 65535:
            raise SettingsError(f"{name} is malformed: expected host:port (port 0 to 65535), got {value!r}")
        return value

    def pattern(self, name: str, default: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self.text(name, default)
        if not pattern.fullmatch(value):
            raise SettingsError(f"{name} is malformed: expected {expected}, got {value!r}")
        return value

    def pem(self, name: str) -> bytes | None:
        """The PEM file a variable names, read now (None when the variable is not set)."""
        path = self.env.get(name) or None
        if path is None:
            return None
        try:
            content = Path(path).read_bytes()
        except OSError as error:
            raise SettingsError(f"{name} names {path!r}, which cannot be read: {error.strerror}") from None
        if b"-----BEGIN " not in content:
            raise SettingsError(f"{name} is malformed: {path!r} holds no PEM block")
        return content

    def grpc_tls(self) -> GrpcTls:
        tls = GrpcTls(
            server_cert=self.pem("PLR_GRPC_TLS_CERT"),
            server_key=self.pem("PLR_GRPC_TLS_KEY"),
            client_ca=self.pem("PLR_GRPC_TLS_CLIENT_CA"),
            ca=self.pem("PLR_GRPC_TLS_CA"),
            client_cert=self.pem("PLR_GRPC_TLS_CLIENT_CERT"),
            client_key=self.pem("PLR_GRPC_TLS_CLIENT_KEY"),
        )
        for one, other, why in (
            ("PLR_GRPC_TLS_CERT", "PLR_GRPC_TLS_KEY", "an api's certificate needs its key"),
            ("PLR_GRPC_TLS_KEY", "PLR_GRPC_TLS_CERT", "an api's key needs its certificate"),
            ("PLR_GRPC_TLS_CLIENT_CA", "PLR_GRPC_TLS_CERT", "client certificates are asked for over TLS only"),
            ("PLR_GRPC_TLS_CLIENT_CERT", "PLR_GRPC_TLS_CLIENT_KEY", "a client certificate needs its key"),
            ("PLR_GRPC_TLS_CLIENT_KEY", "PLR_GRPC_TLS_CLIENT_CERT", "a client key needs its certificate"),
            ("PLR_GRPC_TLS_CLIENT_CERT", "PLR_GRPC_TLS_CA", "a client certificate is sent over TLS only"),
        ):
            if self.env.get(one) and not self.env.get(other):
                raise SettingsError(f"{other} is not set, but {one} is: {why}")
        for cert, key in (
            ("PLR_GRPC_TLS_CERT", "PLR_GRPC_TLS_KEY"),
            ("PLR_GRPC_TLS_CLIENT_CERT", "PLR_GRPC_TLS_CLIENT_KEY"),
        ):
            if self.env.get(cert):
                _check_key_pair(cert, self.env[cert], key, self.env[key])
        return tls

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).upper()
        if value not in choices:
            raise SettingsError(f"{name} is malformed: expected one of {', '.join(choices)}, got {value!r}")
        return value


def number(low: float, high: float) -> Callable[[str], float]:
    """A parser for a service's setting (services/common/manifest.py ``Setting.parse``): a number in range."""

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected a number from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}")
        return value

    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    """A parser for a service's setting: a whole number in range."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return parse


def text(raw: str) -> str:
    """A parser for a service's setting: any non-empty text."""
    return raw


# every credential's minimum length, checked at start: 32 characters of `secrets.token_urlsafe` carry
# 192 bits, and a short one (a typo, a placeholder) must stop the process, not weaken it
TOKEN_MIN_LENGTH = 32


# a random token of 32 characters or more has far more distinct characters than this; fewer is a
# placeholder ("xxxx...", "changeme changeme ...") that the length alone lets through
TOKEN_MIN_DISTINCT = 8


def token_problem(raw: str) -> str | None:
    """Why ``raw`` is no credential (too short, holds white space, too few distinct characters), or None.
    Never names the value."""
    if len(raw) < TOKEN_MIN_LENGTH:
        return f"must be at least {TOKEN_MIN_LENGTH} characters (got {len(raw)})"
    if any(character.isspace() for character in raw):
        return "must hold no white space (a token is one word, e.g. secrets.token_urlsafe(32))"
    if len(set(raw)) < TOKEN_MIN_DISTINCT:
        return f"must hold at least {TOKEN_MIN_DISTINCT} distinct characters (a placeholder is no credential)"
    return None


def optional_token(raw: str) -> str | None:
    """A parser for a credential setting that may be left empty (no such caller): None, or a token as
    ``token_problem`` asks."""
    if raw == "":
        return None
    problem = token_problem(raw)
    if problem is not None:
        raise ValueError(problem)
    return raw


def _check_credentials_differ(read: _Reader, manifests: Iterable[ServiceManifest], role: str | None) -> None:
    """Every credential this process reads is its own: the same value in two variables (the administrator's
    token given as the portal's) would let one caller authenticate as the other. Checked before any is
    parsed, naming both variables and never the value."""
    variables = ["PLR_ADMIN_TOKEN"] + [
        manifest.setting_variable(setting)
        for manifest in manifests
        for setting in manifest.settings_of(role)
        if setting.secret
    ]
    holder: dict[str, str] = {}
    for variable in variables:
        value = read.env.get(variable) or ""
        if value and value in holder:
            raise SettingsError(
                f"{variable} and {holder[value]} hold the same value: each credential must be its own, or one"
                " caller would authenticate as the other"
            )
        holder.setdefault(value, variable)


def _service_value(read: _Reader, variable: str, setting: Setting[Any], role: str | None) -> tuple[bool, Any]:
    """(whether it has a value, the value); a process in a role needing a missing one stops naming it."""
    raw = read.env.get(variable) or setting.default
    if raw is None:
        if role is None:  # ``plr``: one service's setting for another process is not its concern
            return False, None
        raise SettingsError(f"{variable} is not set ({setting.description})")
    try:
        return True, setting.parse(raw)
    except ValueError as error:
        shown = "" if setting.secret else f", got {raw!r}"  # a credential is never echoed
        raise SettingsError(f"{variable} is malformed: {error}{shown}") from None


def _service_settings(read: _Reader, manifest: ServiceManifest, role: str | None) -> ServiceSettings:
    values = {}
    for setting in manifest.settings_of(role):
        present, value = _service_value(read, manifest.setting_variable(setting), setting, role)
        if present:
            values[setting.name] = value
    return ServiceSettings(manifest.name, values)


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


DB_SCHEMES = ("postgresql", "postgresql+psycopg2")
BROKER_USER_PREFIX = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class ServiceDatabase:
    """The URLs of one service's database: the application role, and the owner that migrates."""

    service: str
    app_url: str
    owner_url: str


@dataclass(frozen=True)
class ApiAddress:
    """Where a service's api listens, and where its clients find it (``host:port`` each)."""

    listen: str
    target: str


@dataclass(frozen=True)
class ServiceSettings:
    """A service's own settings (its manifest's ``settings``), parsed, as this process read them."""

    service: str
    values: Mapping[str, Any]

    def get(self, name: str) -> Any:
        if name not in self.values:
            raise SettingsError(f"this process did not load {self.service}'s setting {name}")
        return self.values[name]

    def value(self, setting: Setting[T]) -> T:
        """The typed value of one of the service's declared settings."""
        return cast(T, self.get(setting.name))


ENVIRONMENTS = ("PRODUCTION", "DEVELOPMENT")


@dataclass(frozen=True)
class GrpcTls:
    """TLS of the gRPC apis and of their clients (``PLR_GRPC_TLS_*``), as PEM read at start; nothing
    set: plaintext. An api with a certificate serves TLS only; with a client CA too, it answers only
    callers that present a certificate signed by that CA (mutual TLS). A client with a CA connects over
    TLS, trusting api certificates signed by it, and presents its own certificate if it has one."""

    server_cert: bytes | None = None  # PLR_GRPC_TLS_CERT: the api's certificate (and chain)
    server_key: bytes | None = field(default=None, repr=False)  # PLR_GRPC_TLS_KEY
    client_ca: bytes | None = None  # PLR_GRPC_TLS_CLIENT_CA: callers must present a certificate it signed
    ca: bytes | None = None  # PLR_GRPC_TLS_CA: the CA that signed the apis' certificates
    client_cert: bytes | None = None  # PLR_GRPC_TLS_CLIENT_CERT: what this process presents to an api
    client_key: bytes | None = field(default=None, repr=False)  # PLR_GRPC_TLS_CLIENT_KEY


PLAINTEXT = GrpcTls()


@dataclass(frozen=True)
class Settings:
    """What one process read: the broker, and the database and api address of each service it uses
    (its own; every service's for ``plr``)."""

    amqp_uri: str
    # PLR_AMQP_MANAGEMENT_URL: the broker administrator's credentials, for migrate and ``plr`` alone (an
    # api or worker is not given them); read it through ``management_url()``
    amqp_management_url: str | None
    amqp_vhost: str
    databases: Mapping[str, ServiceDatabase]
    apis: Mapping[str, ApiAddress]
    services: Mapping[str, ServiceSettings]
    # where each loaded service's web application listens (host:port), those that have one
    webs: Mapping[str, str]
    # where `plr health` finds each web application (PLR_<SERVICE>_WEB_TARGET; default its listen address)
    web_targets: Mapping[str, str]
    database_admin_url: str | None
    admin_token: str | None
    statement_timeout_ms: int
    connect_timeout_s: int
    pool_size: int
    worker_max_workers: int
    relay_interval_s: float
    log_level: str
    # where the process serves Prometheus metrics (services/common/metrics.py); 0: nowhere
    metrics_port: int = 0
    # how long migrate retries a database or broker it cannot reach at all (services/common/process.py)
    migrate_wait_s: float = 120.0
    # PLR_ENVIRONMENT: PRODUCTION serves no gRPC reflection and makes no test people
    environment: str = "DEVELOPMENT"
    # PLR_AMQP_USER_PREFIX: each service's broker user is this and its name (services/common/broker_users.py)
    amqp_user_prefix: str = "plr-"
    grpc_tls: GrpcTls = PLAINTEXT
    # PLR_AMQP_URI_<SERVICE>, by service: each service's own broker connection where ``plr`` is given them
    # (`make run`, the tests), so that it may set their passwords (``plr restore``)
    service_amqp_uris: Mapping[str, str] = field(default_factory=dict)

    def management_url(self) -> str:
        """The RabbitMQ management API's URL, with the administrator's credentials: SettingsError if this
        process was not given it (only migrate and ``plr`` are)."""
        if not self.amqp_management_url:
            raise SettingsError(
                f"{MANAGEMENT_URL_VARIABLE} is not set: this needs the broker administrator's management API "
                "(migrate and `plr` are given it; an api or worker is not)"
            )
        return self.amqp_management_url

    @property
    def broker_users(self) -> BrokerUsers:
        from services.common.broker_users import BrokerUsers

        return BrokerUsers(self.amqp_user_prefix)

    @property
    def production(self) -> bool:
        return self.environment == "PRODUCTION"

    def database(self, service: str) -> ServiceDatabase:
        if service not in self.databases:
            raise SettingsError(f"this process did not load the settings of {service}'s database")
        return self.databases[service]

    def api(self, service: str) -> ApiAddress:
        if service not in self.apis:
            raise SettingsError(f"this process did not load the address of {service}'s api")
        return self.apis[service]

    def service(self, service: str) -> ServiceSettings:
        """The service's own settings, e.g. ``settings.service("registry").value(KEY_CACHE_TTL)``."""
        if service not in self.services:
            raise SettingsError(f"this process did not load the settings of {service}")
        return self.services[service]


def _read_only(read: _Reader, manifest: ServiceManifest, name: str, had: ServiceSettings | None) -> ServiceSettings:
    """One setting of another service that a web or worker process reads (``Web.reads``, ``worker_reads``)."""
    [setting] = [s for s in manifest.settings if s.name == name]
    present, value = _service_value(read, manifest.setting_variable(setting), setting, None)
    values = dict(had.values) if had is not None else {}
    if present:
        values[name] = value
    return ServiceSettings(manifest.name, values)


def _api_addresses(read: _Reader, manifest: ServiceManifest) -> dict[str, ApiAddress]:
    if manifest.api is None:
        return {}
    default = f"127.0.0.1:{manifest.api.default_port}"
    return {manifest.name: ApiAddress(default, read.address(manifest.api_target_variable, default))}


def own_settings(service: str, role: str | None = None, env: Mapping[str, str] | None = None) -> ServiceSettings:
    """A service's own settings (its manifest's) alone, without the platform's: for its code the platform
    builds without giving it the settings (a consumer's handlers). Missing or malformed: SettingsError."""
    from services.common.manifest import manifest

    return _service_settings(_Reader(environment() if env is None else env), manifest(service), role)


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    services: Iterable[str] | None = None,
    require: tuple[str, ...] = (),
    role: str | None = None,
) -> Settings:
    """Read the settings of the named services (by default every service: what ``plr`` reads), as
    their manifests declare them. ``require`` names optional ones that this process needs. A process of
    a ``role`` (api, worker, migrate) reads its service's own settings for that role, and stops on a
    missing one; without a role (``plr``), every service's own settings that are set or have a default."""
    from services.common.broker_users import service_uri_variable
    from services.common.manifest import ManifestError, manifests

    read = _Reader(environment() if env is None else env)
    amqp_uri = read.url("PLR_AMQP_URI", ("amqp", "amqps"))
    vhost = unquote(urlsplit(amqp_uri).path.removeprefix("/") or "/")
    installed = manifests()
    chosen = list(installed) if services is None else list(services)
    for name in chosen:
        if name not in installed:
            raise ManifestError(f"no service {name!r} (services: {', '.join(installed)})")
    _check_credentials_differ(read, (installed[name] for name in chosen), role)
    databases, apis, own, webs, web_targets = {}, {}, {}, {}, {}
    for manifest in (installed[name] for name in chosen):
        own[manifest.name] = _service_settings(read, manifest, role)
        app = read.url(manifest.database_url_variable, DB_SCHEMES)
        owner = read.url(manifest.database_owner_url_variable, DB_SCHEMES, default=app)
        databases[manifest.name] = ServiceDatabase(manifest.name, app, owner)
        if manifest.web is not None:
            webs[manifest.name] = read.address(manifest.web_listen_variable, f"127.0.0.1:{manifest.web.default_port}")
            web_targets[manifest.name] = read.address(manifest.web_target_variable, webs[manifest.name])
        for service, name in manifest.reads_of(role):
            own[service] = _read_only(read, installed[service], name, own.get(service))
            apis.update(_api_addresses(read, installed[service]))
        if manifest.api is not None:
            default = f"127.0.0.1:{manifest.api.default_port}"
            apis[manifest.name] = ApiAddress(
                listen=read.address(manifest.api_listen_variable, default),
                target=read.address(manifest.api_target_variable, default),
            )
    admin_db = read.env.get("PLR_DATABASE_ADMIN_URL") or None
    if admin_db is not None:
        admin_db = read.url("PLR_DATABASE_ADMIN_URL", DB_SCHEMES)
    management_url = None
    if role in MANAGEMENT_ROLES or read.env.get(MANAGEMENT_URL_VARIABLE):
        management_url = read.url(MANAGEMENT_URL_VARIABLE, ("http", "https"))
    service_uris = {
        name: read.url(service_uri_variable(name), ("amqp", "amqps"))
        for name in chosen
        if role is None and read.env.get(service_uri_variable(name))
    }
    settings = Settings(
        amqp_uri=amqp_uri,
        amqp_management_url=management_url,
        amqp_vhost=vhost,
        databases=databases,
        apis=apis,
        services=own,
        webs=webs,
        web_targets=web_targets,
        database_admin_url=admin_db,
        admin_token=read.env.get("PLR_ADMIN_TOKEN") or None,
        statement_timeout_ms=int(read.number("PLR_DB_STATEMENT_TIMEOUT_MS", "15000", 100, 600000)),
        connect_timeout_s=int(read.number("PLR_DB_CONNECT_TIMEOUT_S", "5", 1, 120)),
        pool_size=int(read.number("PLR_DB_POOL_SIZE", "5", 1, 50)),
        worker_max_workers=int(read.number("PLR_WORKER_MAX_WORKERS", "4", 1, 50)),
        relay_interval_s=read.number("PLR_RELAY_INTERVAL_S", "0.2", 0.01, 60),
        log_level=read.choice("PLR_LOG_LEVEL", "INFO", LOG_LEVELS),
        metrics_port=int(read.number("PLR_METRICS_PORT", "0", 0, 65535)),
        migrate_wait_s=read.number("PLR_MIGRATE_WAIT_S", "120", 0, 3600),
        environment=read.choice("PLR_ENVIRONMENT", "development", ENVIRONMENTS),
        amqp_user_prefix=read.pattern("PLR_AMQP_USER_PREFIX", "plr-", BROKER_USER_PREFIX, "letters, digits, - _ ."),
        grpc_tls=read.grpc_tls(),
        service_amqp_uris=service_uris,
    )
    if role == "worker":
        _check_worker_broker_user(settings, chosen)
    for name in require:
        if name == "PLR_ADMIN_TOKEN" and not settings.admin_token:
            raise SettingsError("PLR_ADMIN_TOKEN is not set (the administrator credential created at install)")
        if name == "PLR_DATABASE_ADMIN_URL" and not settings.database_admin_url:
            raise SettingsError("PLR_DATABASE_ADMIN_URL is not set (a superuser URL to create databases and roles)")
        read.text(name)  # any other a manifest requires
    admin_problem = token_problem(settings.admin_token) if settings.admin_token is not None else None
    if admin_problem is not None:
        raise SettingsError(f"PLR_ADMIN_TOKEN is malformed: it {admin_problem}")
    return settings


def _check_worker_broker_user(settings: Settings, services: list[str]) -> None:
    """A worker publishes its service's events: it connects as that service's broker user, or every
    publish would be refused (topic permissions) and every event it sent dead-lettered (ADR 0009)."""
    from services.common.broker_users import connection_user

    user = connection_user(settings.amqp_uri)
    for service in services:
        expected = settings.broker_users.of(service)
        if user != expected:
            raise SettingsError(
                f"PLR_AMQP_URI connects as broker user {user!r}, but the {service} worker must connect as "
                f"{expected!r} (PLR_AMQP_USER_PREFIX and the service's name)"
            )


def load_or_exit(
    *, services: Iterable[str] | None = None, require: tuple[str, ...] = (), role: str | None = None
) -> Settings:
    """Load settings, or stop the process with one line naming the variable."""
    from services.common.manifest import ManifestError

    try:
        return load_settings(services=services, require=require, role=role)
    except (SettingsError, ManifestError) as error:
        print(f"plr: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
