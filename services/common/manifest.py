"""What a service declares about itself, and how the platform finds every service.

The platform (``plr-process``, ``make run``, ``plr``, settings, the compose check) knows the services
only through their manifests; it never imports a service by name. Each service has a
``services/<name>/manifest.py`` holding one :class:`ServiceManifest`, and pyproject.toml names it in
the entry-point group ``plr.services`` (installed by ``make venv``): that group is the one list of
services. ``docs/adding-a-service.md`` walks through it.

Code a manifest points at (the api, event handlers, timers, ``plr`` commands) is named by a
:class:`Ref` ("module:attribute") and imported only when a process uses it, so that reading every
manifest (as ``plr`` does) stays cheap and a worker's eventlet patch comes before its imports.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

# only the standard library at run time: plr-process reads ROLES before a worker's eventlet patch
if TYPE_CHECKING:
    import argparse

    from sqlalchemy.engine import Engine

    from services.common.inbox import EventHandler
    from services.common.settings import Settings
    from services.common.topology import QueueSpec

ENTRY_POINT_GROUP = "plr.services"
ROLES = ("api", "worker", "migrate", "web")
# what every process of every service reads (the broker); each adds its own database and api
COMMON_VARIABLES = ("PLR_AMQP_URI",)
# the broker administrator's credentials (the management API): only the roles here, and ``plr``, use
# them (least privilege: an api or worker is not given them)
MANAGEMENT_URL_VARIABLE = "PLR_AMQP_MANAGEMENT_URL"
MANAGEMENT_ROLES = ("migrate",)


T = TypeVar("T")
# a setting's name: the variable is PLR_<SERVICE>_<NAME>; the api's address variables are the platform's
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
RESERVED_SETTINGS = ("API_LISTEN", "API_TARGET", "WEB_LISTEN")


class ManifestError(Exception):
    """The services cannot be listed: no manifest installed, or one that is not a ServiceManifest."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One of the service's own settings, read from ``PLR_<SERVICE>_<NAME>`` (the environment or the env
    file) by the processes in ``roles``, and validated at start like the platform's: missing (when it has
    no default) or malformed, it stops the process with one line naming the variable. ``parse`` turns the
    text into the value, raising ``ValueError("expected ...")`` when it cannot (services/common/settings.py
    has parsers). The service's code reads it as ``settings.service(NAME).value(SETTING)``."""

    name: str
    description: str
    parse: Callable[[str], T]
    default: str | None = None  # None: required
    roles: tuple[str, ...] = ROLES
    secret: bool = False  # a credential: a malformed value is never echoed

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Ref:
    """A callable named "package.module:attribute", imported on first use."""

    path: str

    def resolve(self) -> Callable[..., Any]:
        module, _, attribute = self.path.partition(":")
        target: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)


@dataclass(frozen=True)
class Consumer:
    """A queue the service's worker consumes; each event is applied once through the inbox."""

    queue: QueueSpec
    inbox_name: str
    # () -> {event type: handler}; called in the worker process only
    handlers: Callable[[], Mapping[str, EventHandler]]


@dataclass(frozen=True)
class Timer:
    """Periodic work of the worker (it also runs once at start-up)."""

    name: str
    interval_s: float
    # the worker's engine -> the work to run each time
    work: Callable[[Engine], Callable[[], Any]]


@dataclass(frozen=True)
class ApiCaller:
    """An internal process that calls the service's api with a credential of its own: the methods it may
    call (``package.Service/Method``; anything else is PERMISSION_DENIED), and for whom it may act
    (``leader``: ``x-plr-leader``; ``staff``: ``x-plr-staff-id``; none: it calls as itself). Its
    credential is the setting ``token`` (one of the manifest's ``settings``, optional: an empty one
    means no such caller), which the api reads to verify it and the calling process to send it; no
    other process is given it."""

    name: str
    token: Setting[str | None]
    methods: tuple[str, ...]
    acts_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Api:
    """The service's gRPC ``api`` process: a plain grpcio server."""

    default_port: int
    run: Callable[[Settings], None]
    # settings the api cannot start without, beyond its database and address
    requires: tuple[str, ...] = ("PLR_ADMIN_TOKEN",)
    # the internal callers it accepts, each with its own credential and allow-list
    callers: tuple[ApiCaller, ...] = ()


@dataclass(frozen=True)
class Web:
    """The service's ``web`` process: a WSGI application served over HTTP (``plr-process NAME web``), at
    ``PLR_<NAME>_WEB_LISTEN`` (default ``127.0.0.1:<default_port>``), answering ``GET /healthz`` (what
    ``plr health`` asks). ``reads`` names settings of other services it is given as theirs (service,
    setting name): the credential an api declares for it as an ``ApiCaller``, and no other process
    of its service is given them."""

    default_port: int
    # (Settings) -> the WSGI application
    app: Callable[[Settings], Any]
    reads: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServiceManifest:
    """One service, as the platform sees it. Every service has a database (its own), a ``migrate``
    (its Alembic revisions, then its queues) and a ``worker`` (its outbox relay, consumers, timers)."""

    name: str
    migrations: Path
    consumers: tuple[Consumer, ...] = ()
    timers: tuple[Timer, ...] = ()
    api: Api | None = None
    # adds the service's own ``plr`` commands: (Commands) -> None (services/common/admin/cli.py)
    commands: Callable[[Commands], None] | None = None
    # the service's own settings, beyond its database and api address
    settings: tuple[Setting[Any], ...] = ()
    # what `make run` does once every process is up, to give a developer something to try (the registry
    # onboards a demo trust): (Settings) -> a line saying what it did; safe to run again
    demo: Callable[[Settings], str] | None = None
    # the services whose demos must have run before this one's (the portal's needs the registry's trust)
    demo_after: tuple[str, ...] = ()
    # a web application (the portal), or None
    web: Web | None = None
    # settings of other services its worker reads as theirs (service, setting name): the credential an
    # api declares for the worker as an ``ApiCaller`` (no other process of this service is given it), and
    # the worker is given that api's address
    worker_reads: tuple[tuple[str, str], ...] = ()
    # whether its database holds the trust directory (``trusts``, ``api_keys``: the trust's own service,
    # or a projection of its events, services/common/trust_directory.py); `plr trust list` reads it
    trust_directory: bool = True

    def __post_init__(self) -> None:
        names = [setting.name for setting in self.settings]
        for caller in self.api.callers if self.api is not None else ():
            if caller.token not in self.settings:
                raise ManifestError(f"{self.name}: caller {caller.name}'s token must be one of its settings")
            if set(caller.acts_for) - {"leader", "staff"}:
                raise ManifestError(f"{self.name}: caller {caller.name} may act for leader or staff only")
        for setting in self.settings:
            if not SETTING_NAME.fullmatch(setting.name) or setting.name in RESERVED_SETTINGS:
                raise ManifestError(f"{self.name}: setting name {setting.name!r} must be UPPER_CASE, not API_*")
            if names.count(setting.name) > 1 or not setting.roles or set(setting.roles) - set(ROLES):
                raise ManifestError(f"{self.name}: setting {setting.name} is declared twice or has unknown roles")

    @property
    def queues(self) -> tuple[QueueSpec, ...]:
        """The queues ``migrate`` declares for this service."""
        return tuple(consumer.queue for consumer in self.consumers)

    @property
    def roles(self) -> tuple[str, ...]:
        present = {"api": self.api is not None, "web": self.web is not None}
        return tuple(role for role in ROLES if present.get(role, True))

    @property
    def database_url_variable(self) -> str:
        return f"PLR_DATABASE_URL_{self.name.upper()}"

    @property
    def database_owner_url_variable(self) -> str:
        return f"PLR_DATABASE_OWNER_URL_{self.name.upper()}"

    @property
    def api_listen_variable(self) -> str:
        return f"PLR_{self.name.upper()}_API_LISTEN"

    @property
    def api_target_variable(self) -> str:
        return f"PLR_{self.name.upper()}_API_TARGET"

    @property
    def web_listen_variable(self) -> str:
        return f"PLR_{self.name.upper()}_WEB_LISTEN"

    @property
    def web_target_variable(self) -> str:
        return f"PLR_{self.name.upper()}_WEB_TARGET"

    def references(self) -> tuple[Ref, ...]:
        """Every piece of the service's code the manifest names (api, commands, demo, timers, handlers):
        resolving them all imports the service's code and its generated gRPC modules (the image's check)."""
        named: list[object] = [self.commands, self.demo, self.api.run if self.api else None]
        named += [self.web.app if self.web else None]
        named += [timer.work for timer in self.timers] + [consumer.handlers for consumer in self.consumers]
        return tuple(ref for ref in named if isinstance(ref, Ref))

    def setting_variable(self, setting: Setting[Any]) -> str:
        return f"PLR_{self.name.upper()}_{setting.name}"

    def settings_of(self, role: str | None) -> tuple[Setting[Any], ...]:
        """The service's own settings a process in ``role`` reads (None: every one, as ``plr`` does)."""
        return tuple(setting for setting in self.settings if role is None or role in setting.roles)

    def secret_variables(self, role: str) -> set[str]:
        """The credentials a process in ``role`` is given: its own secret settings, and for ``web`` the
        other services' settings its ``Web`` reads (each given to no other process of this service)."""
        given = {self.setting_variable(s) for s in self.settings_of(role) if s.secret}
        if role == "web" and self.web is not None:
            given |= {f"PLR_{other.upper()}_{name}" for other, name in self.web.reads}
        if role == "worker":
            given |= {f"PLR_{other.upper()}_{name}" for other, name in self.worker_reads}
        return given

    def reads_of(self, role: str | None) -> tuple[tuple[str, str], ...]:
        """The other services' settings a process in ``role`` reads as theirs (service, setting name)."""
        if role == "web" and self.web is not None:
            return self.web.reads
        return self.worker_reads if role == "worker" else ()

    def required_variables(self, role: str) -> tuple[str, ...]:
        """The settings a process of this service cannot start without (others have defaults)."""
        if role not in self.roles:
            raise ValueError(f"{self.name} has no {role} process")
        required: tuple[str, ...] = (*COMMON_VARIABLES, self.database_url_variable)
        if role in MANAGEMENT_ROLES:
            required += (MANAGEMENT_URL_VARIABLE,)
        if role == "api" and self.api is not None:
            required += self.api.requires
        return required + tuple(self.setting_variable(s) for s in self.settings_of(role) if s.required)


class Commands:
    """The ``plr`` command line being built: a service adds its commands to a group (``trust``,
    ``leaders``, ...), made on first use, so that two services may share a group."""

    def __init__(self, top: argparse._SubParsersAction[argparse.ArgumentParser]):
        self._top = top
        self._groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def group(self, name: str, help: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        if name not in self._groups:
            self._groups[name] = self._top.add_parser(name, help=help).add_subparsers(dest="action", required=True)
        return self._groups[name]

    def command(self, name: str, help: str) -> argparse.ArgumentParser:
        return self._top.add_parser(name, help=help)


def in_demo_order(found: dict[str, ServiceManifest]) -> list[str]:
    """The services in name order, each after the ones its ``demo_after`` names (a name not installed,
    or a cycle, is ignored: the demos then run in name order)."""
    ordered: list[str] = []

    def place(name: str, seen: frozenset[str]) -> None:
        if name in ordered or name in seen or name not in found:
            return
        for before in found[name].demo_after:
            place(before, seen | {name})
        ordered.append(name)

    for name in sorted(found):
        place(name, frozenset())
    return ordered


def manifests() -> dict[str, ServiceManifest]:
    """Every installed service's manifest, by name, in name order."""
    return dict(_load())


@cache
def _load() -> tuple[tuple[str, ServiceManifest], ...]:
    found: dict[str, ServiceManifest] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        manifest = entry.load()
        if not isinstance(manifest, ServiceManifest):
            raise ManifestError(f"entry point {entry.name} = {entry.value} is not a ServiceManifest")
        if manifest.name != entry.name:
            raise ManifestError(f"entry point {entry.name} names the manifest of {manifest.name!r}")
        found[manifest.name] = manifest
    if not found:
        raise ManifestError(
            f"no service manifests installed (entry-point group {ENTRY_POINT_GROUP!r} is empty): run `make venv`"
        )
    return tuple(sorted(found.items()))


def manifest(name: str) -> ServiceManifest:
    found = manifests()
    if name not in found:
        raise ManifestError(f"no service {name!r} (services: {', '.join(found)})")
    return found[name]


def service_names() -> tuple[str, ...]:
    return tuple(manifests())
