"""The gRPC edge every servicer shares: request schemas read from protobuf, the conversions, page
tokens, the idempotency digest, and the base servicer's method table and units of work."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import marshmallow
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import message as protobuf_message
from google.protobuf.timestamp_pb2 import Timestamp
from marshmallow import fields
from plr.options.v1 import access_pb2

from services.common.errors import InvalidInput
from services.common.grpc_edge import (
    NOT_A_PAGE_TOKEN,
    PAGE_SIZE_DEFAULT,
    Choice,
    IsoDate,
    Message,
    OdsCode,
    PageSize,
    PageToken,
    Problem,
    RequestSchema,
    Servicer,
    Time,
    Uuid,
    encode_page_token,
    iso_date,
    page_size,
    parse_offset,
    parse_time,
    parse_uuid,
    request_digest,
    timestamp,
)
from services.common.grpc_server import Call, service_handler
from services.common.principals import Principal
from services.common.tenancy import TenantScope


def _probe_file() -> descriptor_pb2.FileDescriptorProto:
    """A proto of our own for these tests (common knows no service's protos)."""
    f = descriptor_pb2.FileDescriptorProto(name="plr/test/edge_probe.proto", package="plr.test", syntax="proto3")
    f.dependency.append("google/protobuf/timestamp.proto")
    f.dependency.append("plr/options/v1/access.proto")
    T = descriptor_pb2.FieldDescriptorProto
    item = f.message_type.add(name="Item")
    item.field.add(name="title", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    item.field.add(name="day", number=2, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    probe = f.message_type.add(name="Probe")
    entry = probe.nested_type.add(name="CellsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    add = probe.field.add
    add(name="id", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    add(name="since", number=2, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL, type_name=".google.protobuf.Timestamp")
    add(name="names", number=3, type=T.TYPE_STRING, label=T.LABEL_REPEATED)
    add(name="cells", number=4, type=T.TYPE_MESSAGE, label=T.LABEL_REPEATED, type_name=".plr.test.Probe.CellsEntry")
    add(name="page_size", number=5, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    add(name="page_token", number=6, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    add(name="day", number=7, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    add(name="items", number=8, type=T.TYPE_MESSAGE, label=T.LABEL_REPEATED, type_name=".plr.test.Item")
    add(name="idempotency_key", number=9, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    add(name="ods", number=10, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    service = f.service.add(name="ProbeService")
    for name, scope in (("Get", "read"), ("Put", "people")):
        method = service.method.add(name=name, input_type=".plr.test.Probe", output_type=".plr.test.Probe")
        method.options.Extensions[access_pb2.required_scope] = scope
    f.service.add(name="UnscopedService").method.add(
        name="Get", input_type=".plr.test.Probe", output_type=".plr.test.Probe"
    )
    return f


# the default pool, beside google.protobuf.Timestamp, so that its Timestamp class is the one we build
POOL = descriptor_pool.Default()
POOL.AddSerializedFile(_probe_file().SerializeToString())
Probe: Any = message_factory.GetMessageClass(POOL.FindMessageTypeByName("plr.test.Probe"))
Item: Any = message_factory.GetMessageClass(POOL.FindMessageTypeByName("plr.test.Item"))
PROBE_SERVICE = POOL.FindServiceByName("plr.test.ProbeService")
UNSCOPED_SERVICE = POOL.FindServiceByName("plr.test.UnscopedService")

AN_ID = str(uuid.uuid4())


def refused(schema: RequestSchema, request: protobuf_message.Message) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        schema.parse(request)
    return raised.value.fields


# --- reading requests ------------------------------------------------------------------------------


class ItemSchema(RequestSchema):
    title = fields.String(validate=marshmallow.validate.Length(min=1, error="is required"))
    day = IsoDate()


class ProbeSchema(RequestSchema):
    id = Uuid()
    since = Time()
    names = fields.List(fields.String())
    cells = fields.Dict(keys=fields.String(), values=fields.String())
    day = IsoDate()
    items = fields.List(Message(ItemSchema()))


PROBE = ProbeSchema()


def test_a_request_is_read_field_by_field_in_the_protos_own_names() -> None:
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    values = PROBE.parse(
        Probe(
            id=AN_ID,
            since=timestamp(moment),
            names=["a", "b"],
            cells={"k": "v"},
            day="2026-03-01",
            items=[Item(title="first", day="")],
        )
    )
    assert values == {
        "id": AN_ID,
        "since": moment,
        "names": ["a", "b"],
        "cells": {"k": "v"},
        "day": date(2026, 3, 1),
        "items": [{"title": "first", "day": None}],
    }


def test_an_unset_sub_message_is_none_and_an_empty_date_is_none() -> None:
    values = PROBE.parse(Probe(id=AN_ID))
    assert values["since"] is None and values["day"] is None and values["names"] == [] and values["items"] == []


def test_every_bad_field_is_named_at_once() -> None:
    problems = refused(PROBE, Probe(id="nope", day="tomorrow"))
    assert problems == {"id": "must be an id as returned by this API", "day": "must be a date, YYYY-MM-DD"}


def test_a_bad_field_of_an_item_of_a_list_is_named_by_its_index() -> None:
    problems = refused(PROBE, Probe(id=AN_ID, items=[Item(title="ok"), Item(title="", day="2026-02-30")]))
    assert problems == {"items[1].title": "is required", "items[1].day": "must be a date, YYYY-MM-DD"}


def test_a_time_out_of_range_is_named() -> None:
    problems = refused(PROBE, Probe(id=AN_ID, since=Timestamp(seconds=2**62)))
    assert problems == {"since": "is not a valid time"}


def test_a_schema_naming_a_field_the_proto_has_not_fails_loudly() -> None:
    class Wrong(RequestSchema):
        absent = fields.String()

    with pytest.raises(KeyError):
        Wrong().parse(Probe())


def test_data_key_reads_a_proto_field_under_another_name() -> None:
    class Renamed(RequestSchema):
        field_names = fields.List(fields.String(), data_key="names")

    assert Renamed().parse(Probe(names=["x"])) == {"field_names": ["x"]}


@pytest.mark.parametrize("good", [AN_ID, AN_ID.upper()])
def test_an_id_is_read_in_its_canonical_form(good: str) -> None:
    assert parse_uuid(good) == AN_ID


@pytest.mark.parametrize("bad", ["", "x", AN_ID.replace("-", ""), "{" + AN_ID + "}", AN_ID + " "])
def test_an_id_in_any_other_form_is_refused(bad: str) -> None:
    assert refused(PROBE, Probe(id=bad)) == {"id": "must be an id as returned by this API"}


def test_an_optional_id_may_be_empty() -> None:
    class Optional(RequestSchema):
        id = Uuid(optional=True)

    assert Optional().parse(Probe()) == {"id": None}
    assert refused(Optional(), Probe(id="x")) == {"id": "must be an id as returned by this API"}


class OdsSchema(RequestSchema):
    ods = OdsCode()


class OptionalOdsSchema(RequestSchema):
    ods = OdsCode(optional=True)


@pytest.mark.parametrize("bad", ["", "rxx", "R", "RXXXXX", "R-X", "RXX\n"])
def test_an_ods_code_is_3_to_5_capitals_or_digits(bad: str) -> None:
    assert OdsSchema().parse(Probe(ods="RXX1")) == {"ods": "RXX1"}
    assert refused(OdsSchema(), Probe(ods=bad)) == {"ods": "must be 3 to 5 upper-case letters or digits"}


def test_an_optional_ods_code_may_be_empty_but_not_wrong() -> None:
    assert OptionalOdsSchema().parse(Probe()) == {"ods": ""}
    assert "ods" in refused(OptionalOdsSchema(), Probe(ods="rxx"))


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_a_choice_is_one_of_its_enumerations_values() -> None:
    class Chosen(RequestSchema):
        id = Choice(Colour)
        day = Choice(Colour, optional=True)

    assert Chosen().parse(Probe(id="red")) == {"id": Colour.RED, "day": None}
    assert refused(Chosen(), Probe(id="green", day="pink")) == {
        "id": "must be one of red, blue",
        "day": "must be one of red, blue",
    }


def test_a_rule_written_once_elsewhere_validates_a_field() -> None:
    def short(value: str) -> str | None:
        return "must be short" if len(value) > 3 else None

    class Ruled(RequestSchema):
        id = fields.String(validate=Problem(short))

    assert Ruled().parse(Probe(id="abc")) == {"id": "abc"}
    assert refused(Ruled(), Probe(id="abcd")) == {"id": "must be short"}


# --- pages --------------------------------------------------------------------------------------


class PageSchema(RequestSchema):
    page_size = PageSize()
    page_token = PageToken(parse_time, parse_uuid)


class OffsetPageSchema(RequestSchema):
    page_size = PageSize()
    page_token = PageToken(parse_offset)


class FilteredPageSchema(RequestSchema):
    page_token = PageToken(parse_offset, bound_to=("id",))
    id = fields.String()


LISTING = Call(Principal("trust", "RXX", "RXX"), "cid-1", {}, "ListThings")


def _listed(schema: RequestSchema, request: Any, call: Call = LISTING) -> dict[str, Any]:
    return schema.parse(request, call)


def _refused_listing(schema: RequestSchema, request: Any, call: Call = LISTING) -> dict[str, str]:
    with pytest.raises(InvalidInput) as error:
        schema.parse(request, call)
    return error.value.fields


def test_a_page_size_of_zero_is_the_default_and_up_to_500_is_accepted() -> None:
    assert page_size(_listed(PageSchema(), Probe())) == PAGE_SIZE_DEFAULT
    assert page_size(_listed(PageSchema(), Probe(page_size=500))) == 500


@pytest.mark.parametrize("bad", [-1, 501, 2**31 - 1])
def test_a_page_size_out_of_range_is_named(bad: int) -> None:
    assert _refused_listing(PageSchema(), Probe(page_size=bad)) == {"page_size": "must be 0 to 500"}


def test_a_listing_is_read_only_with_its_call() -> None:
    with pytest.raises(TypeError):
        PageSchema().parse(Probe())


def test_a_page_token_reads_back_the_values_it_was_made_of() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    values = _listed(PageSchema(), Probe())
    token = PageSchema().next_page_token(values, LISTING, moment, AN_ID)
    assert _listed(PageSchema(), Probe(page_token=token))["page_token"] == (moment, AN_ID)
    offset = OffsetPageSchema().next_page_token(values, LISTING, 42)
    assert _listed(OffsetPageSchema(), Probe(page_token=offset))["page_token"] == (42,)
    assert _listed(PageSchema(), Probe())["page_token"] is None


def test_a_page_token_time_reads_back_as_utc_whatever_zone_it_was_made_in() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    token = PageSchema().next_page_token(_listed(PageSchema(), Probe()), LISTING, moment, AN_ID)
    [read, _] = _listed(PageSchema(), Probe(page_token=token))["page_token"]
    assert read == moment and read.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "other",
    [
        replace(LISTING, method="ListOtherThings"),
        replace(LISTING, principal=Principal("trust", "RYY", "RYY")),
        replace(LISTING, principal=Principal("leader", AN_ID, leader_id=AN_ID)),
        replace(LISTING, principal=Principal("administrator", "administrator")),
    ],
    ids=["another method", "another trust", "a leader", "the administrator"],
)
def test_a_page_token_is_refused_by_another_method_or_caller_naming_it(other: Call) -> None:
    token = OffsetPageSchema().next_page_token(_listed(OffsetPageSchema(), Probe()), LISTING, 42)
    problem = _refused_listing(OffsetPageSchema(), Probe(page_token=token), other)["page_token"]
    assert problem.startswith("was issued by another method or to another caller"), problem


def test_a_page_token_is_held_to_the_filters_it_was_issued_with() -> None:
    token = FilteredPageSchema().next_page_token(_listed(FilteredPageSchema(), Probe(id="a")), LISTING, 3)
    assert _listed(FilteredPageSchema(), Probe(id="a", page_token=token))["page_token"] == (3,)
    problem = _refused_listing(FilteredPageSchema(), Probe(id="b", page_token=token))["page_token"]
    assert problem.startswith("was issued for another id: send the same id"), problem


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "bad",
    [
        "%%%",
        "garbage",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _token({"a": 1}),
        _token(["2026-01-01T00:00:00+00:00"]),  # a part missing
        _token(["2026-01-01T00:00:00+00:00", AN_ID, "more"]),
        _token(["yesterday", AN_ID]),
        _token([5, AN_ID]),
        _token(["2026-01-01T00:00:00+00:00", AN_ID.replace("-", "")]),
        _token(["2026-01-01T00:00:00+23:59", AN_ID, "0" * 16, "0" * 16]),  # an offset no place has
        _token(["2026-01-01T00:00:00", AN_ID, "0" * 16, "0" * 16]),  # no offset from UTC
        _token(["0001-01-01T00:00:00+01:00", AN_ID, "0" * 16, "0" * 16]),  # before the first UTC time
        encode_page_token(7),  # another listing's token
    ],
)
def test_a_page_token_not_made_by_this_listing_is_invalid_argument_naming_it(bad: str) -> None:
    assert _refused_listing(PageSchema(), Probe(page_token=bad)) == {"page_token": NOT_A_PAGE_TOKEN}


@pytest.mark.parametrize(
    "bad", [_token([-1]), _token([True]), _token([1.5]), _token(["3"]), _token([2**63, "0" * 16, "0" * 16])]
)
def test_an_offset_token_is_a_whole_number_not_below_zero(bad: str) -> None:
    assert _refused_listing(OffsetPageSchema(), Probe(page_token=bad)) == {"page_token": NOT_A_PAGE_TOKEN}


# --- answers -------------------------------------------------------------------------------------


def test_timestamps_and_dates_are_written_as_the_api_writes_them() -> None:
    moment = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    written = timestamp(moment)
    assert written is not None and written.ToDatetime(tzinfo=UTC) == moment
    assert timestamp(moment.astimezone(UTC) + timedelta(0)) == written
    assert timestamp(None) is None
    assert iso_date(date(2026, 5, 6)) == "2026-05-06" and iso_date(None) == ""


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 5, 6, 7, 8, 9, 123456),  # naive: read as UTC
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch: nanos stay positive
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_a_timestamp_is_what_protobuf_makes_of_the_same_time(moment: datetime) -> None:
    made = Timestamp()
    made.FromDatetime(moment)
    assert timestamp(moment) == made


def test_the_idempotency_digest_ignores_the_key_and_nothing_else() -> None:
    one = Probe(id=AN_ID, names=["a"], cells={"x": "1", "y": "2"}, idempotency_key="k1")
    same_but_key = Probe(id=AN_ID, names=["a"], cells={"y": "2", "x": "1"}, idempotency_key="k2")
    other = Probe(id=AN_ID, names=["b"], cells={"x": "1", "y": "2"}, idempotency_key="k1")
    assert request_digest(one) == request_digest(same_but_key)
    assert request_digest(one) != request_digest(other)
    assert len(request_digest(one)) == 64
    assert one.idempotency_key == "k1"  # the request itself is left as it was


# --- the base servicer -----------------------------------------------------------------------------


class ProbeServicer(Servicer[tuple[TenantScope, str]]):
    SERVICE = PROBE_SERVICE

    def Get(self, request: Any, call: Call) -> Any:
        return request

    def Put(self, request: Any, call: Call) -> Any:
        return request


def _call(principal: Principal) -> Call:
    return Call(principal, "cid-1", {})


def test_a_unit_of_work_is_opened_in_the_callers_scope_with_its_correlation_id() -> None:
    servicer = ProbeServicer(lambda scope, correlation_id: (scope, correlation_id))
    trust = Principal("trust", "RXX", "RXX")
    assert servicer.uow(_call(trust)) == (TenantScope.trust("RXX"), "cid-1")
    assert servicer.uow(_call(trust), TenantScope.platform_wide()) == (TenantScope.platform_wide(), "cid-1")


def test_the_method_table_holds_every_method_of_the_service_and_grpc_server_accepts_it() -> None:
    servicer = ProbeServicer(lambda scope, correlation_id: (scope, correlation_id))
    table = servicer.methods()
    assert sorted(table) == ["Get", "Put"]
    assert table["Get"].__self__ is servicer  # type: ignore[attr-defined]
    service_handler(PROBE_SERVICE, table, lambda metadata: Principal("trust", "RXX", "RXX"), service="probe")


def test_a_servicer_missing_a_method_is_refused_at_start_naming_it() -> None:
    class Incomplete(Servicer[None]):
        SERVICE = PROBE_SERVICE

        def Get(self, request: Any, call: Call) -> Any:
            return request

    table = Incomplete(lambda scope, correlation_id: None).methods()
    with pytest.raises(ValueError, match="no implementation for Put"):
        service_handler(PROBE_SERVICE, table, lambda metadata: Principal("trust", "RXX", "RXX"), service="probe")


def test_a_method_that_declares_no_scope_is_refused_at_start_naming_it() -> None:
    def get(request: Any, call: Call) -> Any:
        return request

    with pytest.raises(ValueError, match=r"plr.test.UnscopedService/Get: option \(plr.options.v1.required_scope\)"):
        service_handler(
            UNSCOPED_SERVICE, {"Get": get}, lambda metadata: Principal("trust", "RXX", "RXX"), service="probe"
        )
