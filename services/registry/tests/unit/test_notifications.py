"""The notifier (service_layer/notifications.py) on fakes: whom each event's messages go to, what they
say, and that a message is sent once per event whatever is retried."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from services.common.events import CloudEvent
from services.common.mail import MailNotSent, OutgoingMail
from services.registry.domain.email_change import EmailChange, token_digest
from services.registry.service_layer.notifications import (
    AFFILIATED,
    CHANGED_ON_BEHALF,
    EMAIL_CHANGE_REQUESTED,
    INVITATION_SENT,
    VERIFY_PATH,
    Notifier,
)
from services.registry.service_layer.ports import MailLedger, Recipient, Recipients

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
PORTAL = "https://portal.invalid"


@dataclass
class FakeRecipients(Recipients):
    invitations: dict[str, str] = field(default_factory=dict)
    people: dict[str, Recipient] = field(default_factory=dict)
    changes: dict[str, EmailChange] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)  # affiliation id (version 1) -> leader id

    def invited(self, invitation_id: str, version: int) -> str | None:
        return self.invitations.get(invitation_id) if version == 1 else None

    def leader(self, leader_id: str) -> Recipient | None:
        return self.people.get(leader_id)

    def trust_name(self, ods: str) -> str:
        return f"{ods} NHS Trust"

    def pending_affiliation(self, affiliation_id: str, version: int) -> str | None:
        return self.pending.get(affiliation_id) if version == 1 else None

    def email_change(self, change_id: str) -> EmailChange | None:
        return self.changes.get(change_id)


@dataclass
class FakeLedger(MailLedger):
    sent: set[tuple[str, str]] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)

    def was_sent(self, event_id: str, recipient: str) -> bool:
        return (event_id, recipient) in self.sent

    def mark_sent(self, event_id: str, recipient: str) -> None:
        self.sent.add((event_id, recipient))

    def keep_link(self, change_id: str, token_sha256: str) -> None:
        self.links[change_id] = token_sha256


@dataclass
class Outbox:
    sent: list[OutgoingMail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses whose messages fail

    def send(self, mail: OutgoingMail) -> None:
        if mail.to in self.refuse:
            raise MailNotSent("the SMTP server did not take the message: SMTPDataError")
        self.sent.append(mail)


def _event(event_id: str, event_type: str, data: Mapping[str, object], version: int = 1) -> CloudEvent:
    return CloudEvent(event_type, "plr/registry", data, "x", "x", version, id=event_id)


def _notifier(recipients: Recipients, mailer: Outbox, ledger: FakeLedger | None = None) -> Notifier:
    return Notifier(recipients, mailer, ledger or FakeLedger(), PORTAL)


ADA = Recipient("ada@example.org", "Ada")


def test_the_notifier_writes_only_to_a_person_an_event_reached() -> None:
    recipients = FakeRecipients({"inv-1": "p-1"}, {"p-1": ADA})
    mailer = Outbox()
    notifier = _notifier(recipients, mailer)
    sent_to = {"invitation_id": "inv-1", "ods": "RBB"}
    assert notifier.notify(_event("e-1", INVITATION_SENT, sent_to)) == 1
    unreached = {"invitation_id": "inv-2", "ods": "RBB"}
    assert notifier.notify(_event("e-2", INVITATION_SENT, unreached)) == 0
    # an older version of an invitation that has changed since sends nothing (the newer one does)
    assert notifier.notify(_event("e-0", INVITATION_SENT, sent_to, 2)) == 0
    assert [m.to for m in mailer.sent] == ["ada@example.org"]
    assert mailer.sent[0].message_id == "e-1" and "RBB NHS Trust" in mailer.sent[0].subject
    changed = {"leader_id": "p-1", "ods": "RAA", "fields": ["phone", "postcode"]}
    notifier.notify(_event("e-3", CHANGED_ON_BEHALF, changed))
    assert "phone, postcode" in mailer.sent[-1].body and "RAA NHS Trust" in mailer.sent[-1].body
    assert notifier.notify(_event("e-5", CHANGED_ON_BEHALF, {"leader_id": "gone"})) == 0


def test_an_invitation_mails_the_person_it_reached_the_portal_link_that_answers_it() -> None:
    recipients = FakeRecipients(invitations={"inv-1": "p-1"}, people={"p-1": ADA})
    mailer = Outbox()
    links: list[tuple[str, str]] = []

    def answer_link(leader_id: str, invitation_id: str, email: str) -> str:
        links.append((leader_id, invitation_id))
        return f"{PORTAL}/confirm/signed-{invitation_id}"

    notifier = Notifier(recipients, mailer, FakeLedger(), PORTAL, invitation_link=answer_link)
    assert notifier.notify(_event("e-1", INVITATION_SENT, {"invitation_id": "inv-1", "ods": "RBB"})) == 1
    (invited,) = mailer.sent
    assert f"{PORTAL}/confirm/signed-inv-1" in invited.body and links == [("p-1", "inv-1")]
    assert "RBB NHS Trust" in invited.subject and "inv-1" in invited.body
    # one that reached no one makes no link
    assert notifier.notify(_event("e-2", INVITATION_SENT, {"invitation_id": "inv-2", "ods": "RBB"})) == 0
    assert len(links) == 1
    # without a portal link the person is told to sign in to the portal
    Notifier(recipients, mailer, FakeLedger(), PORTAL).notify(
        _event("e-3", INVITATION_SENT, {"invitation_id": "inv-1", "ods": "RBB"})
    )
    assert "/confirm/" not in mailer.sent[-1].body and "Sign in to the patient leader portal" in mailer.sent[-1].body


def test_a_trusts_pending_registration_mails_the_person_its_confirm_link_while_it_is_pending() -> None:
    recipients = FakeRecipients(people={"p-1": ADA}, pending={"aff-1": "p-1"})
    mailer = Outbox()
    links: list[tuple[str, str]] = []

    def confirm_link(leader_id: str, affiliation_id: str, email: str) -> str:
        links.append((leader_id, affiliation_id))
        return f"{PORTAL}/confirm/signed-{affiliation_id}"

    notifier = Notifier(recipients, mailer, FakeLedger(), PORTAL, confirm_link)
    registered = {"leader_id": "p-1", "affiliation_id": "aff-1", "ods": "RBB"}
    assert notifier.notify(_event("e-1", AFFILIATED, registered)) == 1
    (request,) = mailer.sent
    assert request.to == "ada@example.org" and "RBB NHS Trust" in request.subject
    assert f"{PORTAL}/confirm/signed-aff-1" in request.body and links == [("p-1", "aff-1")]
    # confirmed, declined, ended or asked again since (a later version), or never pending: nothing
    assert notifier.notify(_event("e-2", AFFILIATED, registered, 2)) == 0
    other = {"leader_id": "p-1", "affiliation_id": "aff-2", "ods": "RBB"}
    assert notifier.notify(_event("e-3", AFFILIATED, other)) == 0
    # without a portal link the person is told to sign in to the portal
    Notifier(recipients, mailer, FakeLedger(), PORTAL).notify(_event("e-4", AFFILIATED, registered))
    assert "/confirm/" not in mailer.sent[-1].body and "Sign in to the patient leader portal" in mailer.sent[-1].body
    assert len(links) == 1


def test_an_email_change_mails_a_link_to_the_new_address_kept_only_as_its_digest() -> None:
    change = EmailChange.asked("c-1", "p-1", "new@example.org", NOW, on_behalf_of="RAA")
    recipients = FakeRecipients(people={"p-1": ADA}, changes={"c-1": change})
    mailer, ledger = Outbox(), FakeLedger()
    assert (
        _notifier(recipients, mailer, ledger).notify(
            _event("e-1", EMAIL_CHANGE_REQUESTED, {"leader_id": "p-1", "change_id": "c-1"})
        )
        == 2
    )
    link, notice = mailer.sent
    assert link.to == "new@example.org" and "Ada" not in link.body  # whoever reads it may not be the person
    token = link.body.split(PORTAL + VERIFY_PATH)[1].split()[0]
    assert ledger.links == {"c-1": token_digest(token)} and token not in str(ledger.links)
    assert notice.to == "ada@example.org" and "RAA NHS Trust" in notice.body and token not in notice.body
    assert link.message_id != notice.message_id
    gone = FakeRecipients(people={"p-1": ADA})  # confirmed, replaced, out of date or erased since
    assert (
        _notifier(gone, mailer).notify(_event("e-2", EMAIL_CHANGE_REQUESTED, {"leader_id": "p-1", "change_id": "c-1"}))
        == 0
    )


def test_a_message_already_sent_is_not_sent_again_when_its_event_is_retried() -> None:
    change = EmailChange.asked("c-1", "p-1", "new@example.org", NOW)
    recipients = FakeRecipients(people={"p-1": ADA}, changes={"c-1": change})
    mailer, ledger = Outbox(refuse={"ada@example.org"}), FakeLedger()
    event = _event("e-1", EMAIL_CHANGE_REQUESTED, {"leader_id": "p-1", "change_id": "c-1"})
    with pytest.raises(MailNotSent):
        _notifier(recipients, mailer, ledger).notify(event)  # the link went, the notice did not
    mailer.refuse.clear()
    assert _notifier(recipients, mailer, ledger).notify(event) == 1
    assert [m.to for m in mailer.sent] == ["new@example.org", "ada@example.org"]
    assert _notifier(recipients, mailer, ledger).notify(event) == 0


def test_the_new_address_is_told_when_its_link_stops_working() -> None:
    change = EmailChange.asked("c-1", "p-1", "new@example.org", NOW)
    assert change.expires_at == NOW + timedelta(hours=24)
    mailer = Outbox()
    recipients = FakeRecipients(people={"p-1": ADA}, changes={"c-1": change})
    _notifier(recipients, mailer).notify(
        _event("e-1", EMAIL_CHANGE_REQUESTED, {"leader_id": "p-1", "change_id": "c-1"})
    )
    assert "02 December 2026 at 10:00 UTC" in mailer.sent[0].body
