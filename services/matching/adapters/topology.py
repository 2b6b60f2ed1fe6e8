"""The matching service's queues on the internal bus (its manifest lists them; `migrate` declares them)."""

from __future__ import annotations

from services.common.topology import QueueSpec
from services.common.trust_directory import STAFF_EVENTS, TRUST_EVENTS
from services.matching.adapters.candidate_projection import CANDIDATE_EVENTS
from services.matching.adapters.networks import NETWORK_EVENTS
from services.matching.adapters.placement_load import RECRUITMENT_OFFERS, RECRUITMENT_PLACEMENTS
from services.matching.adapters.taxonomy import TERM_EVENTS

REGISTRY_EVENTS = QueueSpec("matching.registry-events", bindings=(TRUST_EVENTS,))
NETWORK_QUEUE = QueueSpec("matching.registry-networks", bindings=(NETWORK_EVENTS,))
TERM_QUEUE = QueueSpec("matching.registry-terms", bindings=(TERM_EVENTS,))
# the registry's staff directory: whom the portal may act for here (x-plr-staff-id)
STAFF_QUEUE = QueueSpec("matching.registry-staff", bindings=(STAFF_EVENTS,))
# what people already do: recruitment's offers and placements (rotation and the workload cap)
PLACEMENT_QUEUE = QueueSpec("matching.recruitment-placements", bindings=(RECRUITMENT_OFFERS, RECRUITMENT_PLACEMENTS))
CANDIDATE_QUEUE = QueueSpec("matching.registry-people", bindings=CANDIDATE_EVENTS)
