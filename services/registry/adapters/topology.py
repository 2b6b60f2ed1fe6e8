"""The registry's queues on the internal bus: none yet (it only publishes)."""

from __future__ import annotations

from services.common.topology import QueueSpec

QUEUES: tuple[QueueSpec, ...] = ()
