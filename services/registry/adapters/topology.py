"""The registry's queues on the internal bus (its manifest lists them; `migrate` declares them)."""

from __future__ import annotations

from services.common.topology import QueueSpec

# its own events that call for an email to the person (service_layer/notifications.py)
NOTIFICATIONS = QueueSpec(
    "registry.notifications",
    bindings=(
        "registry.invitation.sent",
        "registry.leader.affiliated",
        "registry.leader.changed_on_behalf",
        "registry.leader.email_change_requested",
    ),
)
