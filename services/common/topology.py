"""The broker topology, declared up front (by ``migrate``) through the management API.

nameko would declare a handler's queue only when the handler starts, and events sent before then
are dropped; quorum queues refuse re-declaration with other arguments. So every exchange, queue,
binding and policy is declared here, idempotently, before any process runs, and consumers never
declare (``no_declare``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from services.common.broker_users import ADMIN_USER_SUFFIX, BrokerUsers, publish_pattern

EVENTS_EXCHANGE = "plr.events"
UNROUTED_EXCHANGE = "plr.unrouted"
UNROUTED_QUEUE = "plr.unrouted"
DEAD_LETTER_EXCHANGE = "plr.dead-letter"
DEAD_LETTER_SUFFIX = ".dead-letter"
# generous: our own consumer counts handler failures and dead-letters after a few; this is the
# backstop for a consumer that crashes while holding the message (a crash counts too)
BROKER_DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class UnroutedLimits:
    """How much ``plr.unrouted`` keeps of the events nobody subscribes to (leader, consent and check
    events among them): its oldest go first, by age or when it is full.

    They are dropped, not dead-lettered: every event stays in its service's outbox, and a dead-letter
    queue would keep the same personal data without a limit again. And a full queue drops its oldest
    (``drop-head``) rather than refusing (``reject-publish``): a refused copy nacks the relay's
    publish itself (the alternate exchange's queue is part of the routing), and the relay, which
    publishes in order, would stop there and hold back every routed event behind it."""

    max_age_s: int = 7 * 24 * 3600
    max_length: int = 100_000
    max_bytes: int = 512 * 1024 * 1024

    def policy(self) -> dict[str, object]:
        return {
            "message-ttl": self.max_age_s * 1000,
            "max-length": self.max_length,
            "max-length-bytes": self.max_bytes,
            "overflow": "drop-head",
        }


class TopologyError(Exception):
    pass


class BrokerUnreachable(TopologyError):
    """The management API did not answer at all (not up yet, or its name does not resolve yet)."""


@dataclass(frozen=True)
class QueueSpec:
    """A consumer's queue: its name and the routing-key patterns bound to it on ``plr.events``."""

    name: str
    bindings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dead_letter_queue(self) -> str:
        return self.name + DEAD_LETTER_SUFFIX


@dataclass(frozen=True)
class VhostPermissions:
    """What a broker user may do on plr's vhost (regular expressions, as RabbitMQ takes them):
    ``configure``, ``write`` and ``read`` on exchanges and queues by name, and ``events_write`` the
    routing keys it may publish on ``plr.events`` (its topic permission)."""

    configure: str
    write: str
    read: str
    events_write: str


def _one_of(names: Iterable[str]) -> str:
    listed = sorted(names)
    return f"^({'|'.join(re.escape(name) for name in listed)})$" if listed else "^$"


def service_permissions(service: str, queues: Iterable[QueueSpec]) -> VhostPermissions:
    """A service's broker user: it declares nothing (``migrate`` does, as the administrator), publishes
    its own events on ``plr.events`` (and gives a delivery back to its own queue through the default
    exchange, ADR 0004), and consumes its own queues only (ADR 0009)."""
    return VhostPermissions(
        configure="^$",
        write=_one_of((EVENTS_EXCHANGE, "amq.default")),
        read=_one_of(spec.name for spec in queues),
        events_write=publish_pattern(service),
    )


# the administrator (``migrate``'s topology, ``plr``): everything on the vhost
ADMIN_PERMISSIONS = VhostPermissions(configure=".*", write=".*", read=".*", events_write=".*")


class Management:
    """A small client of the RabbitMQ management HTTP API."""

    def __init__(self, url: str, vhost: str, timeout: float = 10.0):
        parts = urlsplit(url)
        self.auth = (parts.username or "guest", parts.password or "guest")
        netloc = parts.hostname or "127.0.0.1"
        if parts.port:
            netloc += f":{parts.port}"
        self.base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/api", "", ""))
        self.vhost = vhost
        self.v = quote(vhost, safe="")
        self.timeout = timeout
        self.http = requests.Session()

    def request(
        self, method: str, path: str, json: object | None = None, ok: tuple[int, ...] = ()
    ) -> requests.Response:
        try:
            response = self.http.request(method, self.base + path, json=json, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as error:
            raise BrokerUnreachable(f"RabbitMQ management API at {self.base} is unreachable: {error}") from None
        if response.status_code >= 300 and response.status_code not in ok:
            raise TopologyError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def ensure_vhost(self) -> None:
        self.request("PUT", f"/vhosts/{self.v}", {"defaultqueuetype": "quorum", "description": "plr"})
        user = self.auth[0]
        self.request(
            "PUT", f"/permissions/{self.v}/{quote(user, safe='')}", {"configure": ".*", "write": ".*", "read": ".*"}
        )

    def delete_vhost(self) -> None:
        self.request("DELETE", f"/vhosts/{self.v}", ok=(404,))

    def exchange(self, name: str, kind: str, arguments: dict[str, object] | None = None) -> None:
        self.request(
            "PUT",
            f"/exchanges/{self.v}/{quote(name, safe='')}",
            {"type": kind, "durable": True, "auto_delete": False, "arguments": arguments or {}},
        )

    def queue(self, name: str) -> None:
        self.request(
            "PUT",
            f"/queues/{self.v}/{quote(name, safe='')}",
            {"durable": True, "auto_delete": False, "arguments": {"x-queue-type": "quorum"}},
        )

    def bind(self, exchange: str, queue: str, routing_key: str) -> None:
        self.request(
            "POST",
            f"/bindings/{self.v}/e/{quote(exchange, safe='')}/q/{quote(queue, safe='')}",
            {"routing_key": routing_key, "arguments": {}},
        )

    def policy(self, name: str, pattern: str, definition: dict[str, object], priority: int = 10) -> None:
        self.request(
            "PUT",
            f"/policies/{self.v}/{quote(name, safe='')}",
            {"pattern": pattern, "definition": definition, "priority": priority, "apply-to": "queues"},
        )

    def user(self, name: str, password: str, tags: tuple[str, ...] = ()) -> None:
        """Create the broker user, or set its password and tags (users are global: not the vhost's)."""
        self.request("PUT", f"/users/{quote(name, safe='')}", {"password": password, "tags": ",".join(tags)})

    def delete_user(self, name: str) -> None:
        self.request("DELETE", f"/users/{quote(name, safe='')}", ok=(404,))

    def user_exists(self, name: str) -> bool:
        return self.request("GET", f"/users/{quote(name, safe='')}", ok=(404,)).status_code != 404

    def permit(self, user: str, permissions: VhostPermissions) -> None:
        """A user's permissions on this vhost, and its topic permission on ``plr.events``."""
        self.request(
            "PUT",
            f"/permissions/{self.v}/{quote(user, safe='')}",
            {"configure": permissions.configure, "write": permissions.write, "read": permissions.read},
        )
        self.request(
            "PUT",
            f"/topic-permissions/{self.v}/{quote(user, safe='')}",
            {"exchange": EVENTS_EXCHANGE, "write": permissions.events_write, "read": ".*"},
        )

    def queue_info(self, name: str) -> dict[str, object] | None:
        response = self.request("GET", f"/queues/{self.v}/{quote(name, safe='')}", ok=(404,))
        if response.status_code == 404:
            return None
        info: dict[str, object] = response.json()
        return info

    def queues(self) -> list[dict[str, object]]:
        listed: list[dict[str, object]] = self.request("GET", f"/queues/{self.v}").json()
        return listed


def declare_platform(management: Management, unrouted: UnroutedLimits = UnroutedLimits()) -> None:
    """The shared exchanges and the queue that keeps events nobody subscribes to yet, for a while."""
    management.ensure_vhost()
    management.exchange(UNROUTED_EXCHANGE, "fanout")
    management.policy(UNROUTED_QUEUE, f"^{re.escape(UNROUTED_QUEUE)}$", unrouted.policy())  # before the queue
    management.queue(UNROUTED_QUEUE)
    management.bind(UNROUTED_EXCHANGE, UNROUTED_QUEUE, "")
    management.exchange(EVENTS_EXCHANGE, "topic", {"alternate-exchange": UNROUTED_EXCHANGE})
    management.exchange(DEAD_LETTER_EXCHANGE, "direct")


def declare_consumer_queue(management: Management, spec: QueueSpec) -> None:
    # the policy first, so that the queue never exists without its dead-letter settings
    management.policy(
        f"plr.{spec.name}",
        f"^{re.escape(spec.name)}$",
        {
            "delivery-limit": BROKER_DELIVERY_LIMIT,
            "dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "dead-letter-routing-key": spec.name,
            "dead-letter-strategy": "at-least-once",
            "overflow": "reject-publish",
        },
    )
    management.queue(spec.dead_letter_queue)
    management.bind(DEAD_LETTER_EXCHANGE, spec.dead_letter_queue, spec.name)
    management.queue(spec.name)
    for pattern in spec.bindings:
        management.bind(EVENTS_EXCHANGE, spec.name, pattern)


def declare_topology(
    management_url: str, vhost: str, queues: tuple[QueueSpec, ...], publisher: tuple[str, str] | None = None
) -> None:
    """The platform's exchanges and queues and ``queues``; with ``publisher`` (service, its broker user),
    that user's permissions on the vhost (``service_permissions``: the user must exist)."""
    management = Management(management_url, vhost)
    declare_platform(management)
    for spec in queues:
        declare_consumer_queue(management, spec)
    if publisher is not None:
        service, user = publisher
        if not management.user_exists(user):
            raise TopologyError(
                f"broker user {user!r} ({service}'s) does not exist: create it first "
                "(deploy/rabbitmq/definitions.template.json, or `make run`)"
            )
        management.permit(user, service_permissions(service, queues))


ADMIN_TAGS = ("administrator", "impersonator")


def ensure_broker_users(management: Management, users: BrokerUsers, passwords: Mapping[str, str]) -> None:
    """Create (or set the password of) each broker user named in ``passwords`` by service, and ``admin``
    for the administrator: tagged ``administrator`` and ``impersonator`` (``plr dlq replay`` keeps each
    event's ``user_id``), with every permission on the vhost (made if missing). A service's own
    permissions come with its topology (``declare_topology``'s ``publisher``). For `make run` and the
    tests; a deployment makes them from deploy/rabbitmq/definitions.template.json."""
    management.ensure_vhost()
    for service, password in passwords.items():
        if service == ADMIN_USER_SUFFIX:
            management.user(users.admin, password, ADMIN_TAGS)
            management.permit(users.admin, ADMIN_PERMISSIONS)
        else:
            management.user(users.of(service), password)


def delete_broker_users(management: Management, users: BrokerUsers, services: Iterable[str]) -> None:
    """Delete the administrator and each service's broker user (users are global, not the vhost's)."""
    for name in (users.admin, *(users.of(service) for service in services)):
        management.delete_user(name)
