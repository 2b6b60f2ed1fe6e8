"""A consumer applies an event only if its service's broker user sent it (ADR 0009): the ``user_id``
the broker vouches for, and the ``source`` its type names; its own user's only on a sealed give-back copy."""

from __future__ import annotations

from services.common.broker_users import BrokerUsers, Sender, SenderCheck, connection_user, with_own_broker_user
from services.common.events import CloudEvent

CHECK = SenderCheck(BrokerUsers("t1-"), own_user="t1-matching")


def event(type_: str = "plr.registry.trust.suspended.v1", source: str = "plr/registry") -> CloudEvent:
    return CloudEvent(type_, source, {"ods": "RXX"}, "trust", "RXX", 2, trust_ods="RXX")


def test_an_event_sent_by_its_services_user_is_accepted() -> None:
    assert CHECK.refusal(event(), Sender("t1-registry")) is None


def test_a_consumers_own_give_back_copy_is_accepted() -> None:
    assert CHECK.refusal(event(), Sender("t1-matching", given_back=True)) is None


def test_another_services_event_sent_by_the_consumers_own_user_without_a_seal_is_refused() -> None:
    """What anyone holding only the consumer's broker password can send into its queue."""
    refused = str(CHECK.refusal(event(), Sender("t1-matching")))
    assert "'t1-matching' is this consumer's own broker user" in refused and "no valid give-back seal" in refused


def test_a_seal_does_not_vouch_for_another_services_user() -> None:
    assert "is not registry's broker user" in str(CHECK.refusal(event(), Sender("t1-recruitment", given_back=True)))


def test_an_event_sent_by_another_services_user_is_refused() -> None:
    assert "is not registry's broker user 't1-registry'" in str(CHECK.refusal(event(), Sender("t1-recruitment")))


def test_an_event_without_a_user_id_is_refused() -> None:
    assert "user_id: missing" in str(CHECK.refusal(event(), Sender(None)))


def test_an_event_whose_source_is_not_the_service_its_type_names_is_refused() -> None:
    assert "source: 'plr/matching'" in str(CHECK.refusal(event(source="plr/matching"), Sender("t1-registry")))


def test_a_service_process_is_given_its_own_broker_connection_and_no_other() -> None:
    env = {"PLR_AMQP_URI": "amqp://admin:a@h/v", "PLR_AMQP_URI_REGISTRY": "amqp://r:b@h/v", "PLR_AMQP_URI_X": "x"}
    assert with_own_broker_user(env, "registry") == {"PLR_AMQP_URI": "amqp://r:b@h/v"}
    assert with_own_broker_user(env, None) == {"PLR_AMQP_URI": "amqp://admin:a@h/v"}
    assert connection_user("amqp://plr-registry:secret@host:5672/%2Fplr") == "plr-registry"
