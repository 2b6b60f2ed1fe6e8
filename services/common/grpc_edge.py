"""What every gRPC servicer shares at the edge: a base servicer, request schemas, conversions.

A servicer method reads its request through a ``RequestSchema`` (a bad field becomes
``InvalidInput`` naming it, which grpc_server answers ``INVALID_ARGUMENT``), calls a use case with a
unit of work from the servicer's factory, and builds its answer with the conversions here. The
protobuf request is read field by field as the schema names them, so a schema is written in the
proto's own field names.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

import marshmallow
from google.protobuf import message as protobuf_message
from google.protobuf.descriptor import FieldDescriptor, ServiceDescriptor
from google.protobuf.timestamp_pb2 import Timestamp
from marshmallow import fields, validate

from services.common.errors import InvalidInput
from services.common.grpc_server import Call, Method
from services.common.tenancy import ODS_CODE, ODS_CODE_RULE, TenantScope
from services.common.validation import validated

U = TypeVar("U")

PAGE_SIZE_MAX = 500
PAGE_SIZE_DEFAULT = 100
NOT_AN_ID = "must be an id as returned by this API"
NOT_A_PAGE_TOKEN = "is not a page token from a previous response"
ANOTHER_LISTING = (
    "was issued by another method or to another caller: send a page token only to the method that "
    "returned it ({method} did not), with the same trust's key, or start again without a page_token"
)
ANOTHER_FILTER = (
    "was issued for another {filters}: send the same {filters} as the request that returned it, "
    "or start again without a page_token"
)


class Servicer(Generic[U]):
    """A servicer of one gRPC service: its unit-of-work factory and the method table grpc_server wants.

    ``unit_of_work(scope, correlation_id)`` opens a unit of work; a method runs in the caller's own
    scope unless it names another (``self.uow(call, TenantScope.platform_wide())``).
    """

    SERVICE: ClassVar[ServiceDescriptor]

    def __init__(self, unit_of_work: Callable[[TenantScope, str], U]):
        self.unit_of_work = unit_of_work

    def uow(self, call: Call, scope: TenantScope | None = None) -> U:
        return self.unit_of_work(scope or call.principal.scope, call.correlation_id)

    def methods(self) -> dict[str, Method]:
        """Every method of ``SERVICE`` this servicer has, bound (grpc_server refuses, at start, a table
        with one missing, naming it)."""
        names = (method.name for method in self.SERVICE.methods)
        return {name: getattr(self, name) for name in names if hasattr(self, name)}


# --- answers ---------------------------------------------------------------------------------------


UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_UNIX_EPOCH = UNIX_EPOCH.replace(tzinfo=None)


def timestamp(value: datetime | None) -> Timestamp | None:
    """As ``Timestamp.FromDatetime`` (a naive time read as UTC), in a third of its time: a leader's
    message carries one for each consent and date it shows."""
    if value is None:
        return None
    since = value - (NAIVE_UNIX_EPOCH if value.tzinfo is None else UNIX_EPOCH)
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def iso_date(value: date | None) -> str:
    """A date as the API writes it (YYYY-MM-DD), or empty for none."""
    return value.isoformat() if value is not None else ""


def request_digest(request: protobuf_message.Message, key_field: str = "idempotency_key") -> str:
    """What an idempotency key is bound to: the request without its key, serialized deterministically."""
    without_key = type(request)()
    without_key.CopyFrom(request)
    without_key.ClearField(key_field)
    return hashlib.sha256(without_key.SerializeToString(deterministic=True)).hexdigest()


def encode_page_token(*parts: str | int | datetime) -> str:
    """An opaque page token: the values a listing resumes after (read back by ``PageToken``)."""
    plain = [p.astimezone(UTC).isoformat() if isinstance(p, datetime) else p for p in parts]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


# --- reading requests --------------------------------------------------------------------------------


def parse_uuid(value: str) -> str:
    """An id in the one form this API writes (lower-case, hyphenated); ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(NOT_AN_ID)
    parsed = str(uuid.UUID(value))
    if parsed != value.lower():
        raise ValueError(NOT_AN_ID)
    return parsed


# a page token is the caller's to hold and edit: each part read back is held to what the database
# takes (a bigint; a time zone offset real places use), so an edited token is refused, not INTERNAL
BIGINT_MAX = 2**63 - 1
UTC_OFFSET_LIMIT = timedelta(hours=14)


def parse_offset(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= BIGINT_MAX:
        raise ValueError("not an offset")
    return value


def parse_time(value: object) -> datetime:
    """A time written with its offset from UTC (at most 14 hours, as real places use), read as UTC."""
    if not isinstance(value, str):
        raise ValueError("not a time")
    moment = datetime.fromisoformat(value)
    offset = moment.utcoffset()
    if offset is None or abs(offset) > UTC_OFFSET_LIMIT:
        raise ValueError("not a time with its offset from UTC")
    return moment.astimezone(UTC)


def parse_ods(value: object) -> str:
    if not isinstance(value, str) or not ODS_CODE.fullmatch(value):
        raise ValueError("not an ODS code")
    return value


class Uuid(fields.Field):
    """An id; empty means none (``None``) only where ``optional``."""

    def __init__(self, *, optional: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.optional = optional

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value == "" and self.optional:
            return None
        try:
            return parse_uuid(value)
        except (ValueError, AttributeError, TypeError):
            raise marshmallow.ValidationError(NOT_AN_ID) from None


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDate(fields.Field):
    """A date written YYYY-MM-DD; empty means none (``None``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | None:
        if value == "":
            return None
        try:
            if not ISO_DATE.fullmatch(value):  # fromisoformat also reads 20270201 and 2027-W05-1
                raise ValueError("not YYYY-MM-DD")
            return date.fromisoformat(value)
        except (ValueError, TypeError):
            raise marshmallow.ValidationError("must be a date, YYYY-MM-DD") from None


class Time(fields.Field):
    """A ``google.protobuf.Timestamp`` field, as an aware datetime; unset means none (``None``)."""

    def __init__(self, **kwargs: Any):
        super().__init__(load_default=None, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            moment: datetime = value.ToDatetime(tzinfo=UTC)
        except (ValueError, OverflowError, AttributeError):
            raise marshmallow.ValidationError("is not a valid time") from None
        return moment


class OdsCode(fields.String):
    """A trust's ODS code; empty is allowed (``""``) only where ``optional``."""

    def __init__(self, *, optional: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.optional = optional

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not (text == "" and self.optional) and not ODS_CODE.fullmatch(text):
            raise marshmallow.ValidationError(ODS_CODE_RULE)
        return text


class PageSize(fields.Integer):
    """How many a page holds: 0 (the default size) to ``PAGE_SIZE_MAX``."""

    def __init__(self, **kwargs: Any):
        rule = validate.Range(min=0, max=PAGE_SIZE_MAX, error=f"must be 0 to {PAGE_SIZE_MAX}")
        super().__init__(strict=True, validate=rule, **kwargs)


class PageToken(fields.Field):
    """A token from ``RequestSchema.next_page_token``, read back into its parts, each by its parser (a
    callable that raises ValueError or TypeError on a bad value); empty means the first page (``None``).

    A token holds to the listing that issued it: its method and its caller's scope (one trust, one
    leader, or the platform), and the values of the request's filters named by ``bound_to`` (say
    ``updated_since``). It carries a digest of each when it is issued, and a request that sends it to
    another method, for another caller or with other filter values is refused, naming ``page_token``
    (a listing resumed elsewhere, or under other filters, would silently skip or repeat rows)."""

    def __init__(self, *parsers: Callable[[Any], Any], bound_to: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(**kwargs)
        self.parsers = (*parsers, _parse_digest, _parse_digest)
        self.bound_to = bound_to

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[Any, ...] | None:
        if value == "":
            return None
        try:
            parts = json.loads(base64.urlsafe_b64decode(value.encode()))
            if not isinstance(parts, list) or len(parts) != len(self.parsers):
                raise ValueError("not the parts of this listing's token")
            return tuple(parse(part) for parse, part in zip(self.parsers, parts, strict=True))
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError, OverflowError):
            raise marshmallow.ValidationError(NOT_A_PAGE_TOKEN) from None

    def filters_digest(self, values: dict[str, Any]) -> str:
        return _digest([_plain_value(values.get(name)) for name in self.bound_to])

    @staticmethod
    def listing_digest(call: Call) -> str:
        scope = call.principal.scope
        return _digest([call.method, scope.trust_ods, scope.leader_id, scope.platform])


DIGEST = re.compile(r"[0-9a-f]{16}")


def _digest(plain: list[Any]) -> str:
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()[:16]


def _parse_digest(value: object) -> str:
    if not isinstance(value, str) or not DIGEST.fullmatch(value):
        raise ValueError("not a digest")
    return value


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    return value


def page_size(values: dict[str, Any]) -> int:
    """The page size a request asked for (``PageSize``), its 0 read as the default."""
    size: int = values["page_size"] or PAGE_SIZE_DEFAULT
    return size


class Problem:
    """A marshmallow validator made of a rule written once elsewhere: a function answering what is
    wrong with a value (a message), or None when nothing is."""

    def __init__(self, problem: Callable[[Any], str | None]):
        self.problem = problem

    def __call__(self, value: Any) -> None:
        found = self.problem(value)
        if found is not None:
            raise marshmallow.ValidationError(found)


class RequestSchema(marshmallow.Schema):
    """A schema read from a protobuf request: each declared field from the message field of its name
    (or ``data_key``). A field with presence (a sub-message, an ``optional`` scalar) that is not set
    is left out, so its ``load_default`` applies; repeated fields arrive as lists and sub-messages as messages."""

    # per schema class and message type: each field's name and how to read it (worked out once)
    _readers: ClassVar[dict[tuple[type, str], list[tuple[str, str]]]] = {}

    def parse(self, request: protobuf_message.Message, call: Call | None = None) -> dict[str, Any]:
        """The request's values, each read by its field. A listing (a schema with a ``PageToken``) is
        read with its ``call``, whose method and caller its page token must have been issued for."""
        values: dict[str, Any] = {}
        for name, kind in self._reader(request):
            if kind == _PRESENCE and not request.HasField(name):
                continue
            value = getattr(request, name)
            values[name] = list(value) if kind == _REPEATED else dict(value) if kind == _MAP else value
        return self._held_to_its_listing(validated(self, values), call)

    def _held_to_its_listing(self, values: dict[str, Any], call: Call | None) -> dict[str, Any]:
        for name, field in self._page_tokens():
            if call is None:
                raise TypeError(f"{type(self).__name__} is a listing: parse it with its call")
            if values.get(name) is None:
                continue
            *parts, listing, filters = values[name]
            if listing != field.listing_digest(call):
                raise InvalidInput({field.data_key or name: ANOTHER_LISTING.format(method=call.method)})
            if filters != field.filters_digest(values):
                named = " and ".join(field.bound_to)
                raise InvalidInput({field.data_key or name: ANOTHER_FILTER.format(filters=named)})
            values[name] = tuple(parts)
        return values

    def next_page_token(self, values: dict[str, Any], call: Call, *parts: str | int | datetime) -> str:
        """The token that resumes this listing after ``parts``: held to ``call``'s method and caller,
        and to the filters of ``values``."""
        [(_, field)] = self._page_tokens()
        return encode_page_token(*parts, field.listing_digest(call), field.filters_digest(values))

    def _page_tokens(self) -> list[tuple[str, PageToken]]:
        return [(name, f) for name, f in self.fields.items() if isinstance(f, PageToken)]

    def _reader(self, request: protobuf_message.Message) -> list[tuple[str, str]]:
        key = (type(self), request.DESCRIPTOR.full_name)
        reader = self._readers.get(key)
        if reader is None:
            by_name = request.DESCRIPTOR.fields_by_name
            reader = []
            for name, field in self.load_fields.items():
                wire = field.data_key or name
                reader.append((wire, _kind(by_name[wire])))  # a KeyError: the schema names a field the proto has not
            self._readers[key] = reader
        return reader


_SCALAR, _PRESENCE, _REPEATED, _MAP = "scalar", "presence", "repeated", "map"


def _kind(descriptor: FieldDescriptor) -> str:
    if descriptor.is_repeated:
        entry = descriptor.message_type
        return _MAP if entry is not None and entry.GetOptions().map_entry else _REPEATED
    return _PRESENCE if descriptor.has_presence else _SCALAR


class Message(fields.Field):
    """A sub-message (or each of a repeated one, inside ``fields.List``) read by its own schema."""

    def __init__(self, schema: RequestSchema, **kwargs: Any):
        super().__init__(**kwargs)
        self.schema = schema

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, protobuf_message.Message):
            raise marshmallow.ValidationError("is not a message")
        try:
            return self.schema.parse(value)
        except InvalidInput as error:  # the sub-message's fields, named under this one's
            raise marshmallow.ValidationError(error.fields) from None  # type: ignore[arg-type]


class Choice(fields.Field):
    """One of an enumeration's values, as that enumeration (its values are the rule); empty means
    none (``None``) only where ``optional``."""

    def __init__(self, enum: type[Enum], *, optional: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.enum = enum
        self.optional = optional

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Enum | None:
        if value == "" and self.optional:
            return None
        try:
            return self.enum(value)
        except ValueError:
            raise marshmallow.ValidationError(f"must be one of {', '.join(str(e.value) for e in self.enum)}") from None
