"""Telling people by email what the registry did that concerns them: the registry worker consumes its
own events (``entrypoints/worker.py``) and sends one message per event. The inbox makes it once per
event; a message that cannot be sent fails the event, which is retried and then dead-lettered like
any other. Nothing of a message (address, name, content) is logged.

Handled: ``invitation.sent`` (to the person it reached, if it reached anyone), ``leader.affiliated``
(a trust registered the person: while that affiliation is still pending when the event is handled, the
person is sent a one-time link to the portal, where they confirm or decline it), and two events another
part of the registry emits: ``leader.changed_on_behalf`` (staff recorded a change for the person; its
data names the leader, and may name the trust ``ods`` and the ``fields``) and
``leader.email_change_requested`` (its data names the leader, the address to verify ``email`` and the
one-time ``verify_url``; without ``email`` the notice goes to the address on record).
"""

from __future__ import annotations

from collections.abc import Callable

from services.common.events import CloudEvent
from services.common.mail import OutgoingMail
from services.registry.domain import notices
from services.registry.service_layer.ports import Mailer, Recipients

INVITATION_SENT = "plr.registry.invitation.sent.v1"
CHANGED_ON_BEHALF = "plr.registry.leader.changed_on_behalf.v1"
EMAIL_CHANGE_REQUESTED = "plr.registry.leader.email_change_requested.v1"
AFFILIATED = "plr.registry.leader.affiliated.v1"
NOTIFIED = (INVITATION_SENT, AFFILIATED, CHANGED_ON_BEHALF, EMAIL_CHANGE_REQUESTED)

# (leader id, affiliation id) -> the portal's one-time link at which the person confirms or declines it,
# or "" when there is no portal to link to
ConfirmLink = Callable[[str, str], str]


def no_link(leader_id: str, affiliation_id: str) -> str:
    return ""


def notify(event: CloudEvent, recipients: Recipients, mailer: Mailer, confirm_link: ConfirmLink = no_link) -> bool:
    """Sends the message the event calls for; False when it calls for none."""
    found = _notice(event, recipients, confirm_link)
    if found is None:
        return False
    to, notice = found
    mailer.send(OutgoingMail(to, notice.subject, notice.body, message_id=event.id))
    return True


def _notice(event: CloudEvent, recipients: Recipients, confirm_link: ConfirmLink) -> tuple[str, notices.Notice] | None:
    event_type, data = event.type, event.data
    if event_type == AFFILIATED:
        return _affiliation_request(event, recipients, confirm_link)
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


def _affiliation_request(
    event: CloudEvent, recipients: Recipients, confirm_link: ConfirmLink
) -> tuple[str, notices.Notice] | None:
    """Only while the trust's affiliation still waits for the person as of this event: one made and
    confirmed at once (an accepted invitation, a demo person) or answered since asks nothing."""
    data = event.data
    leader_id = recipients.pending_affiliation(data["affiliation_id"], event.aggregate_version)
    person = recipients.leader(leader_id) if leader_id else None
    if leader_id is None or person is None:
        return None
    link = confirm_link(leader_id, data["affiliation_id"])
    return person.email, notices.affiliation_request(person.given_name, recipients.trust_name(data["ods"]), link)
