"""Invitations through the gRPC API, and the email they send, through a real SMTP mail catcher.

The notifier is the registry worker's consumer (``registry.notifications``): here the real inbox
consumer is given each event exactly as the outbox holds it, as the broker would deliver it, and sends
through SMTP to a mail catcher on a free port, whose files the tests read.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import networks_pb2 as npb

from services.common.admin.mail_catcher import CaughtMail, caught, start_catcher
from services.common.events import CONTRACTS_DIR, SchemaRegistry
from services.common.grpc_client import bearer
from services.common.inbox import DeadLetter, InboxConsumer
from services.common.mail import SmtpMailer, smtp_url
from services.registry.entrypoints.worker import notification_handlers
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.networks_support import (
    active_leader,
    candidates,
    delivered,
    email,
    event_data,
    invitations,
    new_network,
    refusal,
)
from tests.support.infra import PlrStack
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

SENT = "plr.registry.invitation.sent.v1"


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in ("RVA", "RVB", "RVC")}


@pytest.fixture(scope="module")
def catcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("mail")
    port = free_port()
    controller = start_catcher(directory, "127.0.0.1", port)
    yield f"smtp://127.0.0.1:{port}", directory
    controller.stop()


@pytest.fixture(scope="module")
def contracts() -> SchemaRegistry:
    return SchemaRegistry(CONTRACTS_DIR)


def notifier(stack: PlrStack, url: str, contracts: SchemaRegistry) -> InboxConsumer:
    mailer = SmtpMailer(smtp_url(url), "Patient Leader Registry <no-reply@plr.invalid>", timeout_s=5)
    return InboxConsumer(
        "registry.notifications",
        stack.engine("registry"),
        notification_handlers(mailer),
        registry=contracts,
        handler_backoff_s=0.01,
    )


def mail_to(directory: Path, address: str) -> list[CaughtMail]:
    return [m for m in caught(directory) if m.to == address]


def _invite(registry: RegistryClient, key: str, **target: str) -> npb.Invitation:
    return invitations(registry).InviteLeader(npb.InviteLeaderRequest(**target), metadata=bearer(key), timeout=10)


def _trusts_view(registry: RegistryClient, key: str, invitation_id: str) -> npb.Invitation:
    listed = invitations(registry).ListInvitations(
        npb.ListInvitationsRequest(page_size=500), metadata=bearer(key), timeout=10
    )
    [found] = [i for i in listed.invitations if i.invitation_id == invitation_id]
    return found


def test_a_network_trust_invites_a_candidate_the_mail_arrives_and_accepting_lets_the_trust_see_them(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    leader_id = active_leader(registry, keys["RVA"], address, skills=["chairing"])
    network_id = new_network(registry, "RVA", "RVB")
    registry.consent(leader_id, "share_profile_with_network", network_id)
    assert leader_id in candidates(registry, keys["RVB"])

    invitation = _invite(registry, keys["RVB"], leader_id=leader_id)
    assert invitation.status == "sent" and invitation.trust_ods == "RVB" and invitation.leader_id == leader_id
    assert delivered(stack, notifier(stack, url, contracts), invitation.invitation_id, SENT) == 1
    [mail] = mail_to(directory, address)
    assert "RVB NHS Trust" in mail.subject and invitation.invitation_id in mail.body and "Grace" in mail.body
    assert mail.path.stat().st_mode & 0o777 == 0o600
    unseen = refusal(
        registry.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys["RVB"]), timeout=10
    )
    assert unseen.code() == grpc.StatusCode.NOT_FOUND

    mine = invitations(registry).ListInvitations(
        npb.ListInvitationsRequest(), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert [i.invitation_id for i in mine.invitations] == [invitation.invitation_id]
    accepted = invitations(registry).AcceptInvitation(
        npb.AnswerInvitationRequest(invitation_id=invitation.invitation_id),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    assert accepted.status == "accepted"
    seen = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys["RVB"]), timeout=10
    )
    assert seen.profile.given_name == "Grace" and seen.profile.email == ""  # seen; contact still needs consent
    answer = _trusts_view(registry, keys["RVB"], invitation.invitation_id)
    assert answer.status == "accepted" and answer.leader_id == leader_id and answer.HasField("answered_at")
    emitted = event_data(stack, invitation.invitation_id)
    assert [(kind, trust) for kind, trust, _ in emitted] == [
        (SENT, "RVB"),
        ("plr.registry.invitation.accepted.v1", "RVB"),
    ]
    assert all(data == {"invitation_id": invitation.invitation_id, "ods": "RVB"} for _, _, data in emitted)


def test_a_declined_invitation_tells_the_trust_declined_and_nothing_more(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    leader_id = active_leader(registry, keys["RVA"], address)
    invitation = _invite(registry, keys["RVB"], email=address.upper())  # the address as RVB holds it
    assert invitation.leader_id == ""
    delivered(stack, notifier(stack, url, contracts), invitation.invitation_id, SENT)
    assert len(mail_to(directory, address)) == 1

    declined = invitations(registry).DeclineInvitation(
        npb.AnswerInvitationRequest(invitation_id=invitation.invitation_id),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    assert declined.status == "declined"
    answer = _trusts_view(registry, keys["RVB"], invitation.invitation_id)
    assert answer.status == "declined" and answer.leader_id == ""
    assert {f.name for f, _ in answer.ListFields()} == {
        "invitation_id",
        "trust_ods",
        "status",
        "created_at",
        "answered_at",
    }
    unseen = refusal(
        registry.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys["RVB"]), timeout=10
    )
    assert unseen.code() == grpc.StatusCode.NOT_FOUND
    late = refusal(
        invitations(registry).AcceptInvitation,
        npb.AnswerInvitationRequest(invitation_id=invitation.invitation_id),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    assert late.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [kind for kind, _, _ in event_data(stack, invitation.invitation_id)][
        -1
    ] == "plr.registry.invitation.declined.v1"


def _shape(invitation: npb.Invitation) -> tuple[object, ...]:
    """Everything of an answer but its own id and time."""
    return (
        invitation.status,
        invitation.trust_ods,
        invitation.leader_id,
        sorted(f.name for f, _ in invitation.ListFields()),
    )


def test_an_invitation_to_an_address_no_one_has_answers_exactly_as_one_another_trust_holds(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    held = email()
    active_leader(registry, keys["RVA"], held)  # RVA holds them; RVB only has the address
    nobody = email()
    answers = {target: _invite(registry, keys["RVB"], email=target) for target in (held, nobody)}
    assert _shape(answers[held]) == _shape(answers[nobody])
    # asking again answers the pending invitation, whoever it names
    assert all(_invite(registry, keys["RVB"], email=t).invitation_id == a.invitation_id for t, a in answers.items())
    emitted = [event_data(stack, a.invitation_id) for a in answers.values()]
    assert [[(k, t, sorted(d)) for k, t, d in e] for e in emitted] == [[(SENT, "RVB", ["invitation_id", "ods"])]] * 2
    consumer = notifier(stack, url, contracts)
    for answer in answers.values():
        delivered(stack, consumer, answer.invitation_id, SENT)
    assert len(mail_to(directory, held)) == 1 and mail_to(directory, nobody) == []  # no stranger is written to
    # RVB's invitations are its own
    theirs = invitations(registry).ListInvitations(
        npb.ListInvitationsRequest(), metadata=bearer(keys["RVC"]), timeout=10
    )
    assert not {i.invitation_id for i in theirs.invitations} & {a.invitation_id for a in answers.values()}


def test_an_invitation_by_the_id_of_a_person_another_trust_holds_answers_as_an_unknown_id_and_reaches_no_one(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    held = active_leader(registry, keys["RVA"], address)  # RVA holds them; they share with no network of RVC's
    stranger = str(uuid.uuid4())
    answers = [_invite(registry, keys["RVC"], leader_id=target) for target in (held, stranger)]
    assert [_shape(a)[:2] for a in answers] == [("sent", "RVC")] * 2
    assert [a.leader_id for a in answers] == [held, stranger]  # only what the trust named
    consumer = notifier(stack, url, contracts)
    for answer in answers:
        delivered(stack, consumer, answer.invitation_id, SENT)
    assert mail_to(directory, address) == []
    # nor can the person answer it: it never reached them
    unreached = refusal(
        invitations(registry).AcceptInvitation,
        npb.AnswerInvitationRequest(invitation_id=answers[0].invitation_id),
        metadata=registry.as_leader(held),
        timeout=10,
    )
    assert unreached.code() == grpc.StatusCode.NOT_FOUND


def test_an_invitation_names_exactly_one_well_formed_target(registry: RegistryClient, keys: dict[str, str]) -> None:
    held, stranger = email(), str(uuid.uuid4())
    bad = refusal(_invite, registry, keys["RVB"], email="not an address")
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "email" in bad.details()
    both = refusal(_invite, registry, keys["RVB"], email=held, leader_id=stranger)
    assert both.code() == grpc.StatusCode.INVALID_ARGUMENT and "leader_id" in both.details()


def test_each_event_sends_one_message_and_a_failed_send_is_retried_then_dead_lettered_without_logging_content(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, directory = catcher
    address = email()
    active_leader(registry, keys["RVA"], address)
    invitation = _invite(registry, keys["RVB"], email=address)
    unreachable = notifier(stack, f"smtp://127.0.0.1:{free_port()}", contracts)
    with caplog.at_level(logging.DEBUG), pytest.raises(DeadLetter):
        delivered(stack, unreachable, invitation.invitation_id, SENT)
    assert unreachable.stats.handler_failures == 3
    assert address not in caplog.text and "Grace" not in caplog.text
    assert mail_to(directory, address) == []
    # not marked as handled: the redelivery (here, a replay of the dead letter) sends it, once
    consumer = notifier(stack, url, contracts)
    delivered(stack, consumer, invitation.invitation_id, SENT)
    delivered(stack, consumer, invitation.invitation_id, SENT)
    assert consumer.stats.applied == 1 and consumer.stats.duplicates == 1
    assert len(mail_to(directory, address)) == 1
    assert address not in caplog.text


def test_a_change_staff_made_on_the_leaders_behalf_is_mailed_to_them(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    leader_id = active_leader(registry, keys["RVA"], address)
    asked = lpb.OnBehalf(staff="Sam Jones", how_asked="by phone, caller verified by date of birth")
    registry.leaders.PauseLeader(
        lpb.PauseLeaderRequest(leader_id=leader_id, until="2099-03-01", on_behalf=asked),
        metadata=bearer(keys["RVA"]),
        timeout=10,
    )
    assert delivered(stack, notifier(stack, url, contracts), leader_id, "plr.registry.leader.changed_on_behalf.v1") == 1
    [mail] = mail_to(directory, address)
    assert "on your behalf" in mail.subject and "RVA NHS Trust" in mail.body and "paused until" in mail.body
    assert "caller verified" not in mail.body  # how the person asked stays in the registry


def test_a_withdrawal_staff_recorded_for_the_person_still_tells_them(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    leader_id = active_leader(registry, keys["RVA"], address)
    asked = lpb.OnBehalf(staff="Sam Jones", how_asked="by letter, signed")
    registry.leaders.WithdrawLeader(
        lpb.WithdrawLeaderRequest(leader_id=leader_id, reason="moving away", on_behalf=asked),
        metadata=bearer(keys["RVA"]),
        timeout=10,
    )
    delivered(stack, notifier(stack, url, contracts), leader_id, "plr.registry.leader.changed_on_behalf.v1")
    [mail] = mail_to(directory, address)
    assert "status" in mail.body and "reverse it" in mail.body


def test_plr_mail_list_shows_the_caught_messages(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    active_leader(registry, keys["RVA"], address)
    invitation = _invite(registry, keys["RVC"], email=address)
    delivered(stack, notifier(stack, url, contracts), invitation.invitation_id, SENT)
    listed = subprocess.run(
        [sys.executable, "-m", "services.common.admin.cli", "mail", "list", "--json"],
        env={**os.environ, "PLR_MAIL_DIR": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    [shown] = [m for m in json.loads(listed.stdout) if m["to"] == address]
    assert "RVC NHS Trust" in shown["subject"] and invitation.invitation_id in shown["body"]


def test_an_invitation_made_before_the_person_registered_reaches_them_when_asked_again_once(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    address = email()
    early = _invite(registry, keys["RVB"], email=address)
    active_leader(registry, keys["RVA"], address)  # registered since, by another trust
    again = _invite(registry, keys["RVB"], email=address)
    assert again.invitation_id == early.invitation_id and _shape(again) == _shape(early)
    # both events, in either order, as a lagging relay could deliver them: one message
    assert delivered(stack, notifier(stack, url, contracts), early.invitation_id, SENT) == 2
    assert len(mail_to(directory, address)) == 1
