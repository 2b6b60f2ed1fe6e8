"""An error nothing caught, in the main thread or another, is one JSON log line, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
