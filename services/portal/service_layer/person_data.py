"""The person's own decisions about their record (pause, resume, withdraw), their data (export, history)
and the trusts' invitations, each asked of the registry for the signed-in person; and deleting their
account, which erases them in the registry first.

The registry's port (``PersonDataRegistry``) answers the portal's domain errors: ``InvalidInput`` naming
the field, ``NotFound`` for what is not the person's, ``PreconditionFailed`` for a decision the record's
state refuses. Anything else (the registry unreachable) is the adapter's to raise as it comes."""

from __future__ import annotations

import abc
from datetime import date

from services.portal.domain.accounts import Account
from services.portal.domain.person_data import HistoryPage, Retained, Standing, TrustInvitation


class PersonDataRegistry(abc.ABC):
    """The registry, for the person ``leader_id`` (the portal's credential with ``x-plr-leader``)."""

    @abc.abstractmethod
    def standing(self, leader_id: str) -> Standing: ...

    @abc.abstractmethod
    def pause(self, leader_id: str, until: date | None) -> Standing: ...

    @abc.abstractmethod
    def resume(self, leader_id: str) -> Standing: ...

    @abc.abstractmethod
    def withdraw(self, leader_id: str, reason: str) -> Standing: ...

    @abc.abstractmethod
    def export(self, leader_id: str) -> str:
        """Everything the registry holds about the person, as its JSON document."""

    @abc.abstractmethod
    def access_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage: ...

    @abc.abstractmethod
    def change_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage: ...

    @abc.abstractmethod
    def erase(self, leader_id: str) -> tuple[Retained, ...]:
        """Erases the person in the registry; what the registry keeps, by kind."""

    @abc.abstractmethod
    def invitations(self, leader_id: str) -> list[TrustInvitation]:
        """The trusts' invitations that reached the person, oldest first."""

    @abc.abstractmethod
    def accept_invitation(self, leader_id: str, invitation_id: str) -> None: ...

    @abc.abstractmethod
    def decline_invitation(self, leader_id: str, invitation_id: str) -> None: ...

    @abc.abstractmethod
    def trust_name(self, leader_id: str, ods: str) -> str:
        """The trust's name, if the registry lets the person read it (a trust that asks, invites or
        holds them); its ODS code otherwise."""


class AccountEraser(abc.ABC):
    """Deleting an account from the portal's database, with everything that hangs off it."""

    @abc.abstractmethod
    def delete_account(self, account_id: str) -> None:
        """The account, its sessions, its one-time tokens and its failed sign-ins go."""


def delete_account(account: Account, registry: PersonDataRegistry, accounts: AccountEraser) -> tuple[Retained, ...]:
    """Erases the person in the registry, and only then deletes the portal account (with its sessions):
    if the registry refuses or cannot be reached, nothing in the portal is deleted and the person can
    try again. An account joined to no registry record is deleted at once."""
    retained: tuple[Retained, ...] = ()
    if account.leader_id is not None:
        retained = registry.erase(account.leader_id)
    accounts.delete_account(account.account_id)
    return retained
