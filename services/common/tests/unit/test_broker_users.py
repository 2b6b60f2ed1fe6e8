"""A consumer applies an event only if its service's broker user sent it (ADR 0009): the ``user_id``
the broker vouches for, and the ``source`` its type names."""

from __future__ import annotations

from services.common.broker_users import BrokerUsers, SenderCheck, connection_user, with_own_broker_user
from services.common.events import CloudEvent

CHECK = SenderCheck(BrokerUsers("t1-"), own_user="t1-matching")


def event(type_: str = "plr.registry.trust.suspended.v1", source: str = "plr/registry") -> CloudEvent:
    return CloudEvent(type_, source, {"ods": "RXX"}, "trust", "RXX", 2, trust_ods="RXX")


def test_an_event_sent_by_its_services_user_is_accepted() -> None:
    assert CHECK.refusal(event(), "t1-registry") is None


def test_a_consumers_own_give_back_copy_is_accepted() -> None:
    assert CHECK.refusal(event(), "t1-matching") is None


def test_an_event_sent_by_another_services_user_is_refused() -> None:
    assert "is not registry's broker user 't1-registry'" in str(CHECK.refusal(event(), "t1-recruitment"))


def test_an_event_without_a_user_id_is_refused() -> None:
    assert "user_id: missing" in str(CHECK.refusal(event(), None))


def test_an_event_whose_source_is_not_the_service_its_type_names_is_refused() -> None:
    assert "source: 'plr/matching'" in str(CHECK.refusal(event(source="plr/matching"), "t1-registry"))


def test_a_service_process_is_given_its_own_broker_connection_and_no_other() -> None:
    env = {"PLR_AMQP_URI": "amqp://admin:a@h/v", "PLR_AMQP_URI_REGISTRY": "amqp://r:b@h/v", "PLR_AMQP_URI_X": "x"}
    assert with_own_broker_user(env, "registry") == {"PLR_AMQP_URI": "amqp://r:b@h/v"}
    assert with_own_broker_user(env, None) == {"PLR_AMQP_URI": "amqp://admin:a@h/v"}
    assert connection_user("amqp://plr-registry:secret@host:5672/%2Fplr") == "plr-registry"
