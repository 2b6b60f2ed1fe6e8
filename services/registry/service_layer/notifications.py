"""Telling people by email what the registry did that concerns them: the registry worker consumes its
own events (``entrypoints/worker.py``) and sends the messages each calls for. Nothing of a message
(address, name, content) is logged.

Each message is sent once per event: the ledger (``MailLedger``) records it, committed on its own as
soon as it is sent, and is asked before sending. The inbox applies events in batches, in one
transaction; a message that cannot be sent fails its event, the batch is rolled back and each of its
events is retried alone, and the ledger keeps the messages already sent from going again. (A crash
between a send and its record can still repeat that one message, with the same Message-ID.) A
message that keeps failing is retried and then dead-lettered like any event.

Handled:
- ``invitation.sent``: to the person it reached, if it reached anyone, with a one-time signed link to
  the portal, where they accept or decline it;
- ``leader.affiliated``: a trust registered the person; while that affiliation is still pending as of
  the event, the person is sent a one-time signed link to the portal, where they confirm or decline it;
- ``leader.changed_on_behalf``: staff recorded a change for the person, who is told which (field names);
- ``leader.email_change_requested``: the one-time link to the new address (its token made here, kept
  as a digest through the ledger before it is sent: never stored, never on the broker), and a notice
  to the address on record. Nothing once the change is confirmed, replaced, out of date or erased.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.common.events import CloudEvent
from services.common.mail import OutgoingMail
from services.registry.domain import notices
from services.registry.domain.email_change import new_token, token_digest
from services.registry.service_layer.ports import Mailer, MailLedger, Recipients

INVITATION_SENT = "plr.registry.invitation.sent.v1"
CHANGED_ON_BEHALF = "plr.registry.leader.changed_on_behalf.v1"
EMAIL_CHANGE_REQUESTED = "plr.registry.leader.email_change_requested.v1"
AFFILIATED = "plr.registry.leader.affiliated.v1"
NOTIFIED = (INVITATION_SENT, AFFILIATED, CHANGED_ON_BEHALF, EMAIL_CHANGE_REQUESTED)
VERIFY_PATH = "/email/verify?token="  # the portal's page that calls VerifyEmailChange

# (leader id, affiliation id) -> the portal's one-time link at which the person confirms or declines it,
# or "" when there is no portal to link to
ConfirmLink = Callable[[str, str, str], str]  # (leader id, affiliation or invitation id, the address)
# (leader id, invitation id) -> the portal's one-time link at which the person accepts or declines it
InvitationLink = Callable[[str, str, str], str]


def no_link(leader_id: str, affiliation_id: str, email: str) -> str:
    return ""


@dataclass(frozen=True)
class Message:
    recipient: str  # the ledger's name for whom, within its event: "person", "new_address", "old_address"
    to: str
    notice: Callable[[], notices.Notice]  # made only when it is to be sent (a link is made then)


@dataclass(frozen=True)
class Notifier:
    recipients: Recipients
    mailer: Mailer
    ledger: MailLedger
    portal_url: str
    confirm_link: ConfirmLink = no_link
    invitation_link: InvitationLink = no_link

    def notify(self, event: CloudEvent) -> int:
        """Sends the messages the event calls for and has not had sent yet; returns how many it sent."""
        sent = 0
        for message in self._messages(event):
            if self.ledger.was_sent(event.id, message.recipient):
                continue
            notice = message.notice()
            message_id = event.id if message.recipient == "person" else f"{event.id}.{message.recipient}"
            self.mailer.send(OutgoingMail(message.to, notice.subject, notice.body, message_id=message_id))
            self.ledger.mark_sent(event.id, message.recipient)
            sent += 1
        return sent

    def _messages(self, event: CloudEvent) -> list[Message]:
        data, recipients = event.data, self.recipients
        if event.type == INVITATION_SENT:
            return self._invitation(event)
        if event.type == AFFILIATED:
            return self._affiliation_request(event)
        person = recipients.leader(data["leader_id"])
        if person is None:
            return []
        if event.type == CHANGED_ON_BEHALF:
            trust = recipients.trust_name(data["ods"]) if data.get("ods") else ""
            fields = tuple(data.get("fields", ()))
            return [
                Message("person", person.email, lambda: notices.changed_on_behalf(person.given_name, trust, fields))
            ]
        if event.type == EMAIL_CHANGE_REQUESTED:
            return self._email_change(data["change_id"], person.email, person.given_name)
        return []

    def _invitation(self, event: CloudEvent) -> list[Message]:
        """To the person it reached as of this event (a later one sends it if it reached someone since,
        never both), with the portal's one-time link to answer it."""
        invitation_id, recipients = event.data["invitation_id"], self.recipients
        leader_id = recipients.invited(invitation_id, event.aggregate_version)
        person = recipients.leader(leader_id) if leader_id else None
        if leader_id is None or person is None:
            return []
        trust, link = recipients.trust_name(event.data["ods"]), self.invitation_link

        def invited() -> notices.Notice:
            return notices.invitation(
                person.given_name, trust, invitation_id, link(leader_id, invitation_id, person.email)
            )

        return [Message("person", person.email, invited)]

    def _affiliation_request(self, event: CloudEvent) -> list[Message]:
        """Only while the trust's affiliation still waits for the person as of this event: one made and
        confirmed at once (an accepted invitation, a demo person) or answered since asks nothing."""
        affiliation_id, recipients = event.data["affiliation_id"], self.recipients
        leader_id = recipients.pending_affiliation(affiliation_id, event.aggregate_version)
        person = recipients.leader(leader_id) if leader_id else None
        if leader_id is None or person is None:
            return []
        trust = recipients.trust_name(event.data["ods"])
        link = self.confirm_link

        def request() -> notices.Notice:
            return notices.affiliation_request(person.given_name, trust, link(leader_id, affiliation_id, person.email))

        return [Message("person", person.email, request)]

    def _email_change(self, change_id: str, current: str, given_name: str) -> list[Message]:
        change = self.recipients.email_change(change_id)
        if change is None:
            return []
        trust = self.recipients.trust_name(change.on_behalf_of) if change.on_behalf_of else ""

        def link() -> notices.Notice:
            token = new_token()
            self.ledger.keep_link(change.change_id, token_digest(token))  # before it is sent: the link works
            return notices.email_change(f"{self.portal_url}{VERIFY_PATH}{token}", change.expires_at)

        return [
            Message("new_address", change.email, link),
            Message("old_address", current, lambda: notices.email_change_asked(given_name, trust)),
        ]
