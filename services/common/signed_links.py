"""One-time links one process makes and another checks, with a key both are given: a payload (a small
JSON object of ids, never personal data beyond them), an expiry, and an HMAC-SHA256 over both.

The registry's notifier signs a link it emails to a person; the process the link lands in (the portal)
checks it without asking anyone. A link is one-time only where its checker records those it used."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from typing import Any

# the purpose of the link the registry emails a person a trust registered, and the portal checks: its
# payload names the leader and the pending affiliation
CONFIRM_AFFILIATION = "confirm-affiliation"
# the purpose of the link the registry emails a person a trust invited: its payload names the leader and
# the invitation
ANSWER_INVITATION = "answer-invitation"
# the links that join a portal account to the registry person they name (either one, emailed to that
# person, lands them on the page where they answer the trust)
JOINS_ACCOUNT = (CONFIRM_AFFILIATION, ANSWER_INVITATION)


# what ``sign`` makes: base64url payload, a dot, base64url MAC (payloads are small JSON objects of ids)
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}")


def well_formed(token: str) -> bool:
    """Whether ``token`` could be a link ``sign`` made (so that one is worth keeping to check later)."""
    return WELL_FORMED.fullmatch(token) is not None


class LinkRefused(Exception):
    """Not a link this key signed, or expired: why, in words a person may read."""


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, purpose: str, body: str) -> str:
    return _encode(hmac.new(key.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def sign(key: str, purpose: str, payload: dict[str, str], now: datetime, valid_for: timedelta) -> str:
    """``purpose`` binds the link to one use (a link made for one purpose is refused for another)."""
    body = _encode(json.dumps({**payload, "exp": int((now + valid_for).timestamp())}, sort_keys=True).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def verify(key: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    body, _, mac = token.partition(".")
    # compared as bytes: compare_digest refuses str out of ASCII (a mangled link) with a TypeError
    if not body or not mac or not hmac.compare_digest(mac.encode(), _mac(key, purpose, body).encode()):
        raise LinkRefused("this link is not valid: open the link in your email again, or ask for a new one")
    payload: dict[str, Any] = json.loads(_decode(body))
    if int(payload.pop("exp")) < now.timestamp():
        raise LinkRefused("this link has expired: ask for a new one")
    return payload


def address_tag(key: str, email: str) -> str:
    """Which address a link was mailed to, as a keyed digest (the address itself never goes in a URL):
    the checker joins a link to an account only of that address, so a link left open on a shared
    computer does not join the next person who signs in there."""
    mac = hmac.new(key.encode(), f"address.{email.strip().lower()}".encode(), hashlib.sha256).digest()
    return _encode(mac)[:22]


def digest(token: str) -> str:
    """What a checker stores to refuse a link used once already (never the link itself)."""
    return hashlib.sha256(token.encode()).hexdigest()
