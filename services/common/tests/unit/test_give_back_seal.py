"""The seal on a give-back copy (services/common/give_back.py): it holds only for the key that made it,
the queue the copy goes back to, and the message as it was sealed."""

from __future__ import annotations

import secrets

from services.common.give_back import GiveBackSeal

SEAL = GiveBackSeal(secrets.token_bytes(32))
QUEUE, MESSAGE_ID, BODY = "matching.registry-events", "6f1c0b8e-3c1a-4d1e-9a55-0d3f5c1b2a77", b'{"id": "x"}'


def test_a_seal_holds_for_the_message_it_sealed() -> None:
    assert SEAL.holds(SEAL.of(QUEUE, MESSAGE_ID, BODY), QUEUE, MESSAGE_ID, BODY)


def test_a_seal_does_not_hold_for_another_queue_message_id_or_body() -> None:
    seal = SEAL.of(QUEUE, MESSAGE_ID, BODY)
    assert not SEAL.holds(seal, "recruitment.registry-events", MESSAGE_ID, BODY)
    assert not SEAL.holds(seal, QUEUE, "7f1c0b8e-3c1a-4d1e-9a55-0d3f5c1b2a77", BODY)
    assert not SEAL.holds(seal, QUEUE, MESSAGE_ID, BODY + b" ")


def test_a_seal_made_with_another_key_or_missing_does_not_hold() -> None:
    forged = GiveBackSeal(secrets.token_bytes(32)).of(QUEUE, MESSAGE_ID, BODY)
    assert not SEAL.holds(forged, QUEUE, MESSAGE_ID, BODY)
    assert not SEAL.holds(None, QUEUE, MESSAGE_ID, BODY)
    assert not SEAL.holds(b"not text", QUEUE, MESSAGE_ID, BODY)


def test_a_body_delivered_as_text_is_sealed_as_its_utf8_bytes() -> None:
    """The AMQP client decodes a body with a content encoding: a copy sealed from one holds for the other."""
    assert SEAL.holds(SEAL.of(QUEUE, MESSAGE_ID, BODY.decode()), QUEUE, MESSAGE_ID, BODY)
