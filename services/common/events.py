"""The CloudEvents 1.0 envelope (structured JSON mode) and the schema registry of ``proto/events/``.

Every internal event carries the extension attributes ``trustods``, ``correlationid`` and
``causationid``, and the aggregate it is about: ``aggregatetype``, ``aggregateid`` and
``aggregateversion``, so that a consumer can ignore a version it has already passed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from services.common.fast_schema import Check, compile_schema
from services.common.settings import PROJECT_ROOT

CONTENT_TYPE = "application/cloudevents+json"
CONTRACTS_DIR = PROJECT_ROOT / "proto" / "events"
TYPE_PATTERN = re.compile(r"plr\.(?P<service>[a-z]+)\.(?P<aggregate>[a-z_]+)\.(?P<event>[a-z_]+)\.v(?P<major>\d+)")


class InvalidEvent(Exception):
    """A message is not a valid plr CloudEvent; the message says which attribute and why."""


@dataclass(frozen=True)
class CloudEvent:
    type: str
    source: str
    data: Mapping[str, Any]
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    trust_ods: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="microseconds"))
    correlation_id: str | None = None
    causation_id: str | None = None

    @property
    def routing_key(self) -> str:
        match = TYPE_PATTERN.fullmatch(self.type)
        if match is None:
            raise InvalidEvent(f"type: {self.type!r} is not plr.<service>.<aggregate>.<event>.v<major>")
        return f"{match['service']}.{match['aggregate']}.{match['event']}"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "datacontenttype": "application/json",
            "subject": f"{self.aggregate_type}/{self.aggregate_id}",
            "aggregatetype": self.aggregate_type,
            "aggregateid": self.aggregate_id,
            "aggregateversion": self.aggregate_version,
            "data": dict(self.data),
        }
        if self.trust_ods:
            body["trustods"] = self.trust_ods
        if self.correlation_id:
            body["correlationid"] = self.correlation_id
        if self.causation_id:
            body["causationid"] = self.causation_id
        return body

    def to_json(self) -> bytes:
        return body_json(self.to_dict()).encode()

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> CloudEvent:
        return cls(
            type=body["type"],
            source=body["source"],
            data=body.get("data") or {},
            aggregate_type=body["aggregatetype"],
            aggregate_id=body["aggregateid"],
            aggregate_version=body["aggregateversion"],
            trust_ods=body.get("trustods"),
            id=body["id"],
            time=body["time"],
            correlation_id=body.get("correlationid"),
            causation_id=body.get("causationid"),
        )


def body_json(body: Mapping[str, Any]) -> str:
    """An event's body (``CloudEvent.to_dict``) as the text of the bytes that go on the wire."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


class SchemaRegistry:
    """One JSON Schema per event type and major version: ``proto/events/schemas/<type>.json``."""

    def __init__(self, directory: Path = CONTRACTS_DIR):
        self.directory = directory
        self.envelope = self._load(directory / "cloudevent.schema.json")
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        # compiled acceptance checks (services/common/fast_schema.py); jsonschema decides otherwise
        self._fast: dict[str, Check | None] = {}
        for path in sorted((directory / "schemas").glob("*.json")):
            schema = self._load(path)
            self._validators[path.name.removesuffix(".json")] = jsonschema.Draft202012Validator(schema)
            self._fast[path.name.removesuffix(".json")] = compile_schema(schema)
        self._envelope_validator = jsonschema.Draft202012Validator(self.envelope)
        self._fast_envelope = compile_schema(self.envelope)

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    @property
    def types(self) -> list[str]:
        return sorted(self._validators)

    def validate(self, body: Mapping[str, Any]) -> None:
        fast = self._fast.get(body.get("type"))  # type: ignore[arg-type]
        if (
            fast is not None
            and self._fast_envelope is not None
            and self._fast_envelope(body)
            and fast(body.get("data"))
        ):
            return
        errors = sorted(self._envelope_validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            raise InvalidEvent("; ".join(_describe(e) for e in errors))
        validator = self._validators.get(body["type"])
        if validator is None:
            raise InvalidEvent(f"type: no schema for {body['type']!r} in {self.directory}/schemas")
        errors = sorted(validator.iter_errors(body.get("data")), key=lambda e: list(e.absolute_path))
        if errors:
            raise InvalidEvent("; ".join("data/" + _describe(e) for e in errors))

    def parse(self, raw: bytes) -> CloudEvent:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidEvent(f"body: not JSON ({error})") from None
        if not isinstance(body, dict):
            raise InvalidEvent("body: a CloudEvent is a JSON object")
        self.validate(body)
        return CloudEvent.from_dict(body)


@lru_cache(maxsize=1)
def default_registry() -> SchemaRegistry:
    return SchemaRegistry()
