"""Domain errors with clear messages; entrypoints map them to status codes in one place."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a caller can act on."""


class InvalidInput(DomainError):
    """One or more fields are invalid; ``fields`` maps each field to why."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in sorted(self.fields.items())))


def refuse(problems: Mapping[str, str]) -> None:
    """InvalidInput naming each field of ``problems`` (a field-to-why map), if there are any."""
    if problems:
        raise InvalidInput(problems)


class NotFound(DomainError):
    pass


class AlreadyExists(DomainError):
    pass


class PreconditionFailed(DomainError):
    pass


class ConcurrentChange(PreconditionFailed):
    """Another call wrote the same record at the same moment (a unique key taken between our read and
    our write). A use case may retry once; its message never says what the other call was."""

    def __init__(self, message: str = "the same record was changed at the same moment by another call; try again"):
        super().__init__(message)


class PermissionDenied(DomainError):
    pass


class Unauthenticated(DomainError):
    pass
