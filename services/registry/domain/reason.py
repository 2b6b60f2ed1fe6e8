"""Why something was done, as a caller states it (ending, pausing, withdrawing, erasing, suspending)."""

from __future__ import annotations

from services.common.errors import InvalidInput

REASON_MAX = 500


def reason_problem(reason: str) -> str | None:
    """What is wrong with a stated reason, or None: at most REASON_MAX printable characters."""
    if len(reason) > REASON_MAX or not reason.isprintable():
        return f"must be at most {REASON_MAX} printable characters"
    return None


def check_reason(reason: str, field: str = "reason") -> None:
    problem = reason_problem(reason)
    if problem is not None:
        raise InvalidInput({field: problem})
