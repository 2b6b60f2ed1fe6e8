"""Why something was done, as a caller states it (ending, pausing, withdrawing, erasing, suspending),
and until when a pause lasts."""

from __future__ import annotations

from datetime import date

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


def check_return_date(until: date | None, today: date) -> None:
    """A pause's return date, if it has one, is in the future (a leader's pause and a trust's alike)."""
    if until is not None and until <= today:
        raise InvalidInput({"until": "must be a date in the future"})
