"""The service layer talks to storage through interfaces only: it imports no SQLAlchemy (nor psycopg2)
and never asks which unit of work it was given."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SERVICE_LAYER = Path(__file__).resolve().parents[2] / "service_layer"
FORBIDDEN_MODULES = ("sqlalchemy", "psycopg2", "services.registry.adapters.unit_of_work", "services.common.db")


def modules() -> list[Path]:
    found = sorted(SERVICE_LAYER.glob("*.py"))
    assert len(found) > 5, SERVICE_LAYER
    return found


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_service_layer_module_imports_sqlalchemy_or_the_sql_unit_of_work() -> None:
    offending = {
        path.name: sorted(n for n in imported(ast.parse(path.read_text())) if n.startswith(FORBIDDEN_MODULES))
        for path in modules()
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_no_service_layer_module_names_a_sql_implementation_or_asks_the_type_of_its_unit_of_work() -> None:
    for path in modules():
        tree = ast.parse(path.read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
            n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
        }
        assert not {n for n in names if n.startswith("Sql")}, path.name
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if isinstance(call.func, ast.Name) and call.func.id in ("isinstance", "getattr") and call.args:
                first = call.args[0]
                assert not (isinstance(first, ast.Name) and first.id == "uow"), f"{path.name}:{call.lineno}"


def test_importing_the_domain_and_every_service_layer_module_loads_no_sqlalchemy() -> None:
    """Not only no import written in the service layer: none reached through what it imports (the
    ports, the common unit of work, the domain). Checked in a fresh interpreter, whose modules are
    only those the imports load."""
    layers = [SERVICE_LAYER, SERVICE_LAYER.parent / "domain"]
    names = [f"services.registry.{p.parent.name}.{p.stem}" for layer in layers for p in sorted(layer.glob("*.py"))]
    assert "services.registry.service_layer.leaders" in names
    script = "".join(f"import {name}\n" for name in names) + (
        "import sys\nloaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg2'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    root = SERVICE_LAYER.parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
