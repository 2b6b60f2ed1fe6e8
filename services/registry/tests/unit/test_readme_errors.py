"""README's list of error codes names every status a registry method can answer (issue 15 §4): the
mapped domain errors, the database outage codes, the size limit and INTERNAL's absence stated."""

from __future__ import annotations

import re
from pathlib import Path

import grpc

from services.common.grpc_server import STATUS_OF

README = Path(__file__).resolve().parents[4] / "README.md"


def errors_paragraph() -> str:
    text = README.read_text()
    start = text.index("Errors: `INVALID_ARGUMENT`")
    return text[start : text.index("\n\n", start)]


def test_the_readme_lists_every_status_the_registry_answers() -> None:
    listed = set(re.findall(r"`([A-Z_]+)`", errors_paragraph()))
    answered = {code.name for _, code in STATUS_OF} | {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"}
    assert answered <= listed, f"missing from README: {sorted(answered - listed)}"
    assert listed <= {code.name for code in grpc.StatusCode}
