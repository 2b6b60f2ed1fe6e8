"""The export a trust's offboarding takes, held by the registry until the administrator confirms it
reached them: nothing is erased before that, so an export lost on its way (a full disk, a dropped
connection) can be fetched again."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import InvalidInput

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def export_digest(document: str) -> str:
    """The SHA-256 of the document's UTF-8 bytes, lower-case hex: what the administrator sends back."""
    return hashlib.sha256(document.encode()).hexdigest()


def check_digest(given: str, field: str = "export_sha256") -> str:
    digest = given.strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        raise InvalidInput({field: "must be the export's SHA-256, 64 hexadecimal digits"})
    return digest


@dataclass
class OffboardExport:
    trust_ods: str
    document: str  # "" once confirmed: the registry keeps nothing of it after delivery
    sha256: str
    taken_at: datetime
    confirmed_at: datetime | None = None
    leaders_erased: int = 0
    affiliations_ended: int = 0

    @classmethod
    def take(cls, trust_ods: str, document: str, now: datetime) -> OffboardExport:
        return cls(trust_ods, document, export_digest(document), now)

    @property
    def awaiting_confirmation(self) -> bool:
        return self.confirmed_at is None

    def require_received(self, digest: str) -> None:
        """The administrator's digest must be this export's: otherwise what they hold is not it."""
        if digest != self.sha256:
            raise InvalidInput(
                {
                    "export_sha256": f"does not match the export held for {self.trust_ods}: the file is not "
                    "that export, or not all of it; nothing was erased"
                }
            )

    def confirm(self, now: datetime, leaders_erased: int, affiliations_ended: int) -> None:
        self.document = ""
        self.confirmed_at = now
        self.leaders_erased, self.affiliations_ended = leaders_erased, affiliations_ended
