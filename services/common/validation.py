"""Validation at the edge with marshmallow: a bad field becomes InvalidInput naming it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow

from services.common.errors import InvalidInput


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # an item of a list reads goals[2].title
            name = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "request"] = messages[0] if messages else "is invalid"
    else:
        flat[prefix or "request"] = str(messages)
    return flat


def validated(schema: marshmallow.Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(dict(values))
    except marshmallow.ValidationError as error:
        raise InvalidInput(_flatten(error.messages)) from None
    return loaded


def whole_number(text: str, max_digits: int = 18) -> int | None:
    """The number ``text`` spells in ASCII digits (at most ``max_digits``), or None: ``str.isdigit``
    also takes "²" and "١٢", which ``int`` refuses or reads as a number nobody typed."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_digits else None


def no_control_characters(value: str) -> None:
    import unicodedata

    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in value):
        raise marshmallow.ValidationError("must not contain control or unassigned characters")
