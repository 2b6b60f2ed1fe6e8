"""A network of trusts (an integrated care system, a programme): the registry's own reference data.

A leader may share their profile with a network (consent ``share_profile_with_network``, its target the
network's id); the network's trusts may then find them (never contact them) and invite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import InvalidInput
from services.common.tenancy import ODS_CODE, ODS_CODE_RULE
from services.registry.domain import events
from services.registry.domain.trust import validate_trust_identity

# the one definition of a network's id: the consent's target is checked against it too
NETWORK_ID = re.compile(r"[a-z0-9][a-z0-9\-]{1,62}")
NETWORK_ID_RULE = "must be 2 to 63 lower-case letters, digits or hyphens, starting with a letter or digit"


def check_network_id(network_id: str, field_name: str = "network_id") -> None:
    if not NETWORK_ID.fullmatch(network_id):
        raise InvalidInput({field_name: NETWORK_ID_RULE})


def check_member_ods(ods: str) -> None:
    if not ODS_CODE.fullmatch(ods):
        raise InvalidInput({"ods": f"{ODS_CODE_RULE} (got {ods!r})"})


@dataclass
class Network:
    network_id: str
    name: str
    trusts: set[str] = field(default_factory=set)
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    pending_events: list[events.NetworkEvent] = field(default_factory=list)

    @classmethod
    def create(cls, network_id: str, name: str, now: datetime) -> Network:
        check_network_id(network_id)
        # a network's name follows a trust's name's rules (one definition)
        problem = validate_trust_identity("AAA", name).get("name")
        if problem:
            raise InvalidInput({"name": problem})
        network = cls(network_id, name.strip(), created_at=now, updated_at=now)
        network._record(events.NetworkCreated(network_id, network.version + 1, name=network.name))
        return network

    def add_trust(self, ods: str, now: datetime) -> None:
        if ods in self.trusts:
            return
        self.trusts.add(ods)
        self.updated_at = now
        self._record(events.NetworkTrustAdded(self.network_id, self.version + 1, trust_ods=ods))

    def remove_trust(self, ods: str, now: datetime) -> None:
        if ods not in self.trusts:
            return
        self.trusts.discard(ods)
        self.updated_at = now
        self._record(events.NetworkTrustRemoved(self.network_id, self.version + 1, trust_ods=ods))

    def _record(self, event: events.NetworkEvent) -> None:
        self.version = event.version
        self.pending_events.append(event)
