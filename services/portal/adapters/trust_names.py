"""Trust names for the per-trust start pages: the portal's projection of the registry's trust events
(docs/adr/0011), with the trust directory's own code (services/common/trust_directory.py), keeping each
trust's ODS code, name and status, and no key."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.inbox import EventHandler
from services.common.topology import QueueSpec
from services.common.trust_directory import (
    record_trust_offboarded,
    record_trust_onboarded,
    record_trust_resumed,
    record_trust_suspended,
    trusts,
)
from services.portal.service_layer.ports import TrustNames

# the trust events that say a name or a status (never a key's: the portal authenticates no trust)
TRUST_NAME_EVENTS = QueueSpec(
    "portal.registry-trusts",
    bindings=(
        "registry.trust.onboarded",
        "registry.trust.suspended",
        "registry.trust.resumed",
        "registry.trust.offboarded",
    ),
)


def trust_name_handlers() -> dict[str, EventHandler]:
    return {
        "plr.registry.trust.onboarded.v1": record_trust_onboarded,
        "plr.registry.trust.suspended.v1": record_trust_suspended,
        "plr.registry.trust.resumed.v1": record_trust_resumed,
        "plr.registry.trust.offboarded.v1": record_trust_offboarded,
    }


class SqlTrustNames(TrustNames):
    def __init__(self, engine: Engine):
        self.engine = engine

    def active_trust_name(self, ods: str) -> str | None:
        with self.engine.begin() as c:
            name = c.execute(
                sa.select(trusts.c.name).where(trusts.c.trust_ods == ods, trusts.c.status == "active")
            ).scalar()
        return str(name) if name else None
