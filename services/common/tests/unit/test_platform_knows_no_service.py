"""``services/common`` is the platform and knows no service: it imports none, names none in a module
path (``importlib`` strings included), and finds every service through its manifest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from services.common.manifest import manifests

SERVICES_DIR = Path(__file__).resolve().parents[3]
COMMON = SERVICES_DIR / "common"
# "services.registry...", and "services.{...}" in an f-string: a service's module named by convention
SERVICE_MODULE = re.compile(r"\bservices\.(?!common\b)(?:\{|[A-Za-z_])")


def platform_modules() -> list[Path]:
    return sorted(p for p in COMMON.rglob("*.py") if COMMON / "tests" not in p.parents)


def service_references(source: str) -> list[str]:
    """Every import of a service's package and every string naming a service's module, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        elif isinstance(node, ast.JoinedStr):
            names = [ast.unparse(node)]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if SERVICE_MODULE.search(name)]
    return found


def test_no_platform_module_imports_or_names_a_service() -> None:
    modules = platform_modules()
    assert COMMON / "process.py" in modules and COMMON / "admin" / "cli.py" in modules
    problems = {
        str(path.relative_to(SERVICES_DIR.parent)): found
        for path in modules
        if (found := service_references(path.read_text()))
    }
    assert not problems, f"services/common must reach services through their manifests only: {problems}"


def service_names_written(source: str, services: set[str]) -> list[str]:
    """String literals that are a service's name: a list of services kept by hand, as SERVICES was."""
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in services
    ]


def test_no_platform_module_lists_a_service_by_name() -> None:
    services = set(manifests())
    problems = {
        str(path.relative_to(SERVICES_DIR.parent)): found
        for path in platform_modules()
        if (found := service_names_written(path.read_text(), services))
    }
    assert not problems, f"services/common must list services from their manifests: {problems}"
    assert service_names_written('SERVICES = ("registry", "matching")', services)


@pytest.mark.parametrize(
    "source",
    [
        "import services.registry.domain.leader_import",
        "from services.matching.adapters import topology",
        "from services import recruitment",
        "import importlib\nimportlib.import_module(f'services.{service}.entrypoints.api')",
        "module = 'services.integration.adapters.topology'",
        "__import__('services.portal.app')",
    ],
)
def test_the_check_catches_each_way_of_reaching_a_service(source: str) -> None:
    assert service_references(source)


@pytest.mark.parametrize(
    "source",
    [
        "from services.common.settings import Settings",
        "import services.common.manifest",
        "TYPE = 'plr.registry.trust.onboarded.v1'",  # an event's type names its source, not a module
        "'''see services/<name>/manifest.py'''",
    ],
)
def test_the_check_lets_the_platform_be(source: str) -> None:
    assert not service_references(source)


def test_every_service_directory_has_a_manifest_and_every_manifest_a_directory() -> None:
    directories = {p.parent.name for p in SERVICES_DIR.glob("*/__init__.py")} - {"common"}
    declared = manifests()
    assert directories - set(declared) == set(), (
        "a service without a manifest: add services/<name>/manifest.py and its entry point in pyproject.toml "
        "(docs/adding-a-service.md)"
    )
    assert set(declared) - directories == set()
    for name, manifest in declared.items():
        assert (SERVICES_DIR / name / "manifest.py").is_file(), name
        assert manifest.migrations == SERVICES_DIR / name / "migrations", name
