"""Who may send which events on the internal bus (docs/adr/0009-a-broker-user-per-service.md).

Each service connects to the broker as a user of its own, named ``PLR_AMQP_USER_PREFIX`` and the
service's name (``plr-registry``). Its relay stamps every message with ``user_id``, which RabbitMQ
refuses unless it is the connection's own user (only an ``impersonator`` may set another: the
administrator's ``plr dlq replay``), and its topic permission lets it write only the routing keys of its
own events (``registry.`` for the registry) on ``plr.events``. A consumer then dead-letters an event
that does not come from the service that owns it: the service its type names, whose ``source`` it must
carry and whose broker user must have sent it (or the consumer's own user, on a copy its worker put back
in its queue after a database outage, ADR 0004, and sealed: services/common/give_back.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from services.common.events import TYPE_PATTERN, CloudEvent

DEFAULT_USER_PREFIX = "plr-"
# the administrator's broker user (tagged ``administrator`` and ``impersonator``) in a deployment made
# from deploy/rabbitmq/definitions.template.json and by `make run`
ADMIN_USER_SUFFIX = "admin"


def connection_user(amqp_uri: str) -> str:
    """The broker user an AMQP URI connects as (RabbitMQ's default, guest, when it names none)."""
    return unquote(urlsplit(amqp_uri).username or "guest")


def event_source(service: str) -> str:
    """The ``source`` of every event a service publishes."""
    return f"plr/{service}"


def owning_service(event_type: str) -> str | None:
    """The service whose event this is: the one its type names (``plr.<service>.<aggregate>...``)."""
    match = TYPE_PATTERN.fullmatch(event_type)
    return match["service"] if match else None


@dataclass(frozen=True)
class BrokerUsers:
    """Each service's broker user: the prefix and the service's name."""

    prefix: str = DEFAULT_USER_PREFIX

    def of(self, service: str) -> str:
        return self.prefix + service

    @property
    def admin(self) -> str:
        return self.prefix + ADMIN_USER_SUFFIX


def publish_pattern(service: str) -> str:
    """The routing keys a service may write on ``plr.events`` (its topic permission): its own events'."""
    return f"^{re.escape(service)}\\."


@dataclass(frozen=True)
class Sender:
    """Who sent a delivery, as its consumer can tell: the broker user that published it (``user_id``,
    which RabbitMQ vouches for), and whether it is a copy the consuming service's worker gave back to
    this queue (its give-back seal holds: services/common/give_back.py)."""

    user_id: str | None
    given_back: bool = False


@dataclass(frozen=True)
class SenderCheck:
    """Whether a delivered event comes from the service that owns it. ``own_user`` is the consuming
    worker's own broker user: its give-back copies (services/common/worker.py) carry it, and a seal only
    that service's worker can make; anything else its own user sends is refused."""

    users: BrokerUsers
    own_user: str

    def refusal(self, event: CloudEvent, sender: Sender) -> str | None:
        """None if the event may be applied; otherwise why it is refused (for the dead-letter log)."""
        service = owning_service(event.type)
        if service is None:
            return f"type: {event.type!r} names no service"
        if event.source != event_source(service):
            return f"source: {event.source!r} is not {event_source(service)!r}, the service its type names"
        expected = self.users.of(service)
        user_id = sender.user_id
        if not user_id:
            return f"user_id: missing (a {service} event is sent by broker user {expected!r})"
        if user_id == expected:
            return None
        if user_id == self.own_user:
            if sender.given_back:
                return None
            return (
                f"user_id: {user_id!r} is this consumer's own broker user, and the message is not a copy its "
                f"worker gave back (no valid give-back seal): a {service} event is sent by {expected!r}"
            )
        return f"user_id: {user_id!r} is not {service}'s broker user {expected!r}"


# where `make run` (.plr/plr.env) and the tests keep each service's broker connection; a process of the
# service is given its own as PLR_AMQP_URI, and no process another's (``with_own_broker_user``)
SERVICE_URI_VARIABLE_PREFIX = "PLR_AMQP_URI_"


def service_uri_variable(service: str) -> str:
    return SERVICE_URI_VARIABLE_PREFIX + service.upper()


def with_own_broker_user(env: Mapping[str, str], service: str | None) -> dict[str, str]:
    """``env`` as one process of ``service`` is given it: its service's connection as ``PLR_AMQP_URI``
    (when ``env`` keeps one), and no service's connection under its own name."""
    given = {name: value for name, value in env.items() if not name.startswith(SERVICE_URI_VARIABLE_PREFIX)}
    own = env.get(service_uri_variable(service)) if service is not None else None
    if own:
        given["PLR_AMQP_URI"] = own
    return given


def given_passwords(users: BrokerUsers, amqp_uri: str, service_uris: Mapping[str, str]) -> dict[str, str]:
    """The broker passwords these connections give, by service (``ADMIN_USER_SUFFIX``: the
    administrator's): each service's own connection (``service_uris``, by service) that connects as that
    service's user, and ``amqp_uri`` when it connects as the administrator."""
    passwords = {
        service: unquote(urlsplit(uri).password or "")
        for service, uri in service_uris.items()
        if connection_user(uri) == users.of(service)
    }
    if connection_user(amqp_uri) == users.admin:
        passwords[ADMIN_USER_SUFFIX] = unquote(urlsplit(amqp_uri).password or "")
    return passwords


def uri_as(amqp_uri: str, user: str, password: str) -> str:
    """The same broker and vhost, connecting as another user."""
    parts = urlsplit(amqp_uri)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{quote(user, safe='')}:{quote(password, safe='')}@{host}", parts.path, "", ""))
