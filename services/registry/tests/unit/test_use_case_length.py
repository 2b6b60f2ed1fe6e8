"""No use case runs past about 25 lines: a longer one is split into named steps, so it reads as the
business rule. Checked for every function of every service's ``service_layer`` module, the steps
(``_step``) as well as the use cases: a step that grows past the limit is split in its turn."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[3]
# lines of the body, from its first statement after the docstring to its last line (blank lines and
# comments inside it count: what a reader reads)
MAX_BODY_LINES = 25


def body_lines(function: ast.FunctionDef) -> int:
    body = function.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    end = body[-1].end_lineno
    assert end is not None
    return end - body[0].lineno + 1


def functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(SERVICES.glob("*/service_layer/*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found.append((f"{path.parent.parent.name}/{path.stem}.{node.name}", node))
    return found


def test_the_check_sees_the_registry_use_cases() -> None:
    names = [name for name, _ in functions()]
    assert "registry/checks.record_check" in names and len(names) > 40


def test_no_use_case_or_step_runs_past_25_lines() -> None:
    too_long = {name: body_lines(f) for name, f in functions() if body_lines(f) > MAX_BODY_LINES}
    assert too_long == {}
