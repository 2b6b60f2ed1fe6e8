"""The integration service's queues on the internal bus (declared by `migrate`)."""

from __future__ import annotations

from services.common.topology import QueueSpec
from services.common.trust_directory import TRUST_EVENTS

REGISTRY_EVENTS = QueueSpec("integration.registry-events", bindings=(TRUST_EVENTS,))
QUEUES = (REGISTRY_EVENTS,)
