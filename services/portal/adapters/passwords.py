"""argon2id password hashes (argon2-cffi's defaults, RFC 9106's second recommended profile), and the
list of common and breached passwords refused at registration (``common-passwords.txt``, bundled)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import argon2

from services.portal.service_layer.ports import PasswordHasher

COMMON_PASSWORDS = Path(__file__).parent / "common-passwords.txt"


class Argon2Hasher(PasswordHasher):
    def __init__(self) -> None:
        self._hasher = argon2.PasswordHasher(type=argon2.Type.ID)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
