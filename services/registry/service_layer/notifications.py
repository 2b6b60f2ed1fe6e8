"""Telling people by email what the registry did that concerns them: the registry worker consumes its
own events (``entrypoints/worker.py``) and sends one message per event. The inbox makes it once per
event; a message that cannot be sent fails the event, which is retried and then dead-lettered like
any other. Nothing of a message (address, name, content) is logged.

Handled: ``invitation.sent`` (to the person it reached, if it reached anyone), and two events another
part of the registry emits: ``leader.changed_on_behalf`` (staff recorded a change for the person; its
data names the leader, and may name the trust ``ods`` and the ``fields``) and
``leader.email_change_requested`` (its data names the leader, the address to verify ``email`` and the
one-time ``verify_url``; without ``email`` the notice goes to the address on record).
"""

from __future__ import annotations

from services.common.events import CloudEvent
from services.common.mail import OutgoingMail
from services.registry.domain import notices
from services.registry.service_layer.ports import Mailer, Recipients

INVITATION_SENT = "plr.registry.invitation.sent.v1"
CHANGED_ON_BEHALF = "plr.registry.leader.changed_on_behalf.v1"
EMAIL_CHANGE_REQUESTED = "plr.registry.leader.email_change_requested.v1"
NOTIFIED = (INVITATION_SENT, CHANGED_ON_BEHALF, EMAIL_CHANGE_REQUESTED)


def notify(event: CloudEvent, recipients: Recipients, mailer: Mailer) -> bool:
    """Sends the message the event calls for; False when it calls for none."""
    found = _notice(event, recipients)
    if found is None:
        return False
    to, notice = found
    mailer.send(OutgoingMail(to, notice.subject, notice.body, message_id=event.id))
    return True


def _notice(event: CloudEvent, recipients: Recipients) -> tuple[str, notices.Notice] | None:
    event_type, data = event.type, event.data
    if event_type == INVITATION_SENT:
        # as of this event: a later one sends it if it reached someone since (never both)
        leader_id = recipients.invited(data["invitation_id"], event.aggregate_version)
        person = recipients.leader(leader_id) if leader_id else None
        if person is None:
            return None
        trust = recipients.trust_name(data["ods"])
        return person.email, notices.invitation(person.given_name, trust, data["invitation_id"])
    person = recipients.leader(data["leader_id"])
    if person is None:
        return None
    if event_type == CHANGED_ON_BEHALF:
        trust = recipients.trust_name(data["ods"]) if data.get("ods") else ""
        return person.email, notices.changed_on_behalf(person.given_name, trust, tuple(data.get("fields", ())))
    if event_type == EMAIL_CHANGE_REQUESTED:
        to = data.get("email") or person.email
        return to, notices.email_change(person.given_name, data.get("verify_url", ""))
    return None
