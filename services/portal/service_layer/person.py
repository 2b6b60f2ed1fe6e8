"""The registry as the person's own pages need it, as an interface (no gRPC): every call acts for the
signed-in person, whose id the registry's tenancy scopes it to. Bad input is ``InvalidInput`` naming
the registry's fields; a stale ``expected_version`` is ``ChangedSinceOpened``; what the registry does
not show the person is ``NotFound``; any other refusal ``PreconditionFailed`` with its reason."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

from services.portal.domain.profile import Consent, Network, PersonRecord, Profile, Term, TrustLink


class PersonRegistry(abc.ABC):
    @abc.abstractmethod
    def record(self, leader_id: str) -> PersonRecord:
        """The person as the registry shows them to themselves (GetLeader)."""

    @abc.abstractmethod
    def terms(self, leader_id: str, kind: str) -> list[Term]:
        """The taxonomy's terms of one kind ("skill", "interest", "lived_experience") the person may choose."""

    @abc.abstractmethod
    def update(self, leader_id: str, expected_version: int, profile: Profile, fields: Sequence[str]) -> bool:
        """Replaces the named fields; True when an email change now waits for the new address to confirm it."""

    @abc.abstractmethod
    def consents(self, leader_id: str) -> tuple[list[Consent], list[Consent]]:
        """(current state, history, oldest first) of the person's consents."""

    @abc.abstractmethod
    def record_consent(self, leader_id: str, purpose: str, target: str, grant: bool, wording_version: str) -> None: ...

    @abc.abstractmethod
    def trusts(self, leader_id: str) -> list[TrustLink]:
        """The trusts that hold (active) or ask (pending) the person, by name."""

    @abc.abstractmethod
    def networks(self, leader_id: str) -> list[Network]:
        """The networks the person may share their profile with."""

    @abc.abstractmethod
    def submit_equality(self, leader_id: str, answers: Mapping[str, str]) -> None: ...
