"""Raw bad bytes to every ImportService method get INVALID_ARGUMENT, never INTERNAL or UNKNOWN, and
a refused call imports nothing."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plr.registry.v1 import imports_pb2 as ipb

from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.test_bad_input import NOT_UTF8, UNDECODABLE, raw_call

pytestmark = pytest.mark.integration

SERVICE = ipb.DESCRIPTOR.services_by_name["ImportService"]
METHODS = [f"/{SERVICE.full_name}/{m.name}" for m in SERVICE.methods]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("payload", UNDECODABLE + NOT_UTF8, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument(registry: RegistryClient, method: str, payload: bytes) -> None:
    assert raw_call(registry, method, payload) == grpc.StatusCode.INVALID_ARGUMENT


def test_a_cell_that_is_not_utf8_is_invalid_argument(registry: RegistryClient) -> None:
    # rows[0].cells["email"] = b"\xc3\x28": a map entry (field 2 of ImportRow) holding invalid UTF-8
    entry = b"\x0a\x05email" + b"\x12\x02\xc3\x28"
    row = b"\x08\x02" + b"\x12" + bytes([len(entry)]) + entry
    payload = b"\x0a\x03RIA" + b"\x12" + bytes([len(row)]) + row
    assert raw_call(registry, METHODS[0], payload) == grpc.StatusCode.INVALID_ARGUMENT


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_an_internal_error(registry: RegistryClient, payload: bytes) -> None:
    for method in METHODS:
        assert raw_call(registry, method, payload) not in NEVER


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.dictionaries(st.text(max_size=30), st.text(max_size=200), max_size=8),
    number=st.integers(min_value=-5, max_value=2**62),
)
def test_arbitrary_rows_are_reported_or_refused_never_an_internal_error(
    registry: RegistryClient, cells: dict[str, str], number: int
) -> None:
    registry.onboard("RIH", "Import Hypothesis Trust")
    request = ipb.ImportLeadersRequest(trust_ods="RIH", rows=[ipb.ImportRow(row_number=number, cells=cells)])
    assert raw_call(registry, METHODS[0], request.SerializeToString()) not in NEVER
