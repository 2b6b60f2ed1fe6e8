"""What the registry tells a person by email, in plain words: invitations, changes made on their
behalf, a change of their email address. Pure: the notifier fills them in and sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SIGN_OFF = "\n\nThe Patient Leader Registry\n(This message was sent automatically; replies are not read.)\n"


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def _greeting(given_name: str) -> str:
    return f"Dear {given_name}," if given_name else "Hello,"


def invitation(given_name: str, trust_name: str, invitation_id: str, answer_url: str = "") -> Notice:
    """A trust invites the person; ``answer_url``: the portal's one-time link to the page where they
    accept or decline (empty: no portal to link to, they sign in)."""
    where = (
        f"To accept or decline, open this link (it works once, for 14 days), then sign in or create an account:\n"
        f"{answer_url}\n"
        if answer_url
        else "Sign in to the patient leader portal to accept or decline.\n"
    )
    return Notice(
        f"{trust_name} invites you to join its patient leaders",
        f"{_greeting(given_name)}\n\n{trust_name} would like you to join its pool of patient leaders.\n"
        + where
        + "Until you accept, the trust cannot see your details or contact you, and it will only ever learn "
        "your answer.\n\n"
        f"Invitation reference: {invitation_id}" + SIGN_OFF,
    )


def affiliation_request(given_name: str, trust_name: str, confirm_url: str) -> Notice:
    """A trust registered the person: they decide whether it may see them."""
    where = (
        "To confirm or decline, open this link (it works once, for 14 days), then sign in or create an "
        f"account:\n{confirm_url}\n\n"
        if confirm_url
        else "Sign in to the patient leader portal to confirm or decline.\n\n"
    )
    return Notice(
        f"{trust_name} asks you to confirm that you work with it",
        f"{_greeting(given_name)}\n\n{trust_name} has added you to its patient leaders. Until you confirm, it cannot "
        "see your details or contact you through the registry.\n"
        + where
        + "If you do not know this trust, decline, or ignore this message: nothing is shared unless you confirm."
        + SIGN_OFF,
    )


def _described(field: str) -> str:
    """A changed field's name in words: "paused_until" is "paused until", "consent.contact_by_trust" is
    "your consent: contact by trust"."""
    kind, _, name = field.rpartition(".")
    return f"your {kind}: {name.replace('_', ' ')}" if kind else name.replace("_", " ")


def changed_on_behalf(given_name: str, trust_name: str, fields: tuple[str, ...]) -> Notice:
    what = ", ".join(_described(f) for f in fields) if fields else "your details"
    who = f"a member of staff at {trust_name}" if trust_name else "a member of staff"
    return Notice(
        "A change was made to your patient leader record on your behalf",
        f"{_greeting(given_name)}\n\n{who[0].upper()}{who[1:]} recorded a change on your behalf: {what}.\n"
        "If you did not ask for this, sign in to the patient leader portal to see the change and reverse it."
        + SIGN_OFF,
    )


def email_change(verify_url: str, expires_at: datetime) -> Notice:
    """To the new address: no name (whoever asked may have mistyped it), the link, and when it stops working."""
    until = expires_at.astimezone(UTC).strftime("%d %B %Y at %H:%M UTC")
    return Notice(
        "Confirm your new email address for the Patient Leader Registry",
        "Hello,\n\nA patient leader asked for this address to become the email address of their record.\n"
        f"To confirm it, sign in to the patient leader portal and open this link (it works once, until {until}):\n"
        f"{verify_url}\n\n"
        "If you did not ask for this, ignore this message: nothing changes unless it is confirmed there." + SIGN_OFF,
    )


def email_change_asked(given_name: str, trust_name: str) -> Notice:
    """To the address on record: a change was asked for (by whom, if staff asked on their behalf)."""
    who = f" by a member of staff at {trust_name}, on your behalf" if trust_name else ""
    return Notice(
        "A change of your email address was asked for",
        f"{_greeting(given_name)}\n\nA change of the email address on your patient leader record was asked for{who}.\n"
        "It takes effect only once it is confirmed from the new address. If you did not ask for this, sign in to "
        "the patient leader portal to check your details; your address stays as it is." + SIGN_OFF,
    )
