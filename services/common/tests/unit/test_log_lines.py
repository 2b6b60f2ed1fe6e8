"""An error nothing caught, in the main thread or another, is one JSON log line, not a traceback."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.logs import JsonFormatter

SCRIPT = """
import threading
from services.common.logs import configure_logging
configure_logging("probe")
thread = threading.Thread(target=lambda: 1 / 0, name="helper")
thread.start()
thread.join()
raise LookupError("no such thing")
"""


def test_uncaught_errors_in_any_thread_are_logged_as_one_json_line_each() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[4]
    )

    assert result.returncode == 1
    lines = []
    for line in result.stderr.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}\n{result.stderr}")
    assert [(line["level"], line["error"]) for line in lines] == [
        ("error", "ZeroDivisionError: division by zero"),
        ("critical", "LookupError: no such thing"),
    ], lines
    assert "helper" in lines[0]["message"]


def test_each_line_s_time_is_its_record_s_to_the_millisecond_across_seconds() -> None:
    formatter = JsonFormatter("probe")
    written = []
    for created in (1767225599.9996, 1767225600.0004, 1767225599.5, 1767225600.25):
        record = logging.LogRecord("plr.probe", logging.INFO, __file__, 1, "%s ok", ("call",), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        line = json.loads(formatter.format(record))
        written.append(line["ts"])
        assert line["message"] == "call ok" and line["process"] == "probe"
    assert written == [
        "2025-12-31T23:59:59.999Z",
        "2026-01-01T00:00:00.000Z",
        "2025-12-31T23:59:59.500Z",
        "2026-01-01T00:00:00.250Z",
    ]
