"""``services/common`` is the platform and knows no service: it imports none (relative imports included),
names none in a module path (``importlib`` strings, built ones and the ``services`` package by name
included), and finds every service through its manifest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from services.common.manifest import manifests

SERVICES_DIR = Path(__file__).resolve().parents[3]
COMMON = SERVICES_DIR / "common"
# "services.registry...", "services.{...}" in an f-string, "services.%s", and a module path ending
# "services." (as in "services." + name): a service's module named by convention or built from its name
SERVICE_MODULE = re.compile(r"\bservices\.(?!common\b)(?:\{|%|[A-Za-z_])|^[\w.]*\bservices\.$")
# the package itself as a string: import_module(".registry", package="services"), ".".join(("services", name))
SERVICES_PACKAGE = "services"


def platform_modules() -> list[Path]:
    return sorted(p for p in COMMON.rglob("*.py") if COMMON / "tests" not in p.parents)


def module_name(path: Path) -> str:
    """``services/common/admin/cli.py`` -> ``services.common.admin.cli``."""
    parts = path.relative_to(SERVICES_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a ``from ... import`` names, a relative one resolved from ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def service_references(source: str, module: str = "services.common.module", is_package: bool = False) -> list[str]:
    """Every import of a service's package (relative ones resolved from ``module``), every string naming a
    service's module or the ``services`` package, and every attribute of ``services`` other than
    ``common``, as ``line: what``."""
    tree = ast.parse(source)
    # ``import services`` (or ``import services.common.x``) binds the name ``services``: its attributes
    # then reach any service (without such an import, ``services`` is a variable of the module's own)
    binds_package = any(
        isinstance(node, ast.Import)
        and any(a.asname is None and a.name.split(".")[0] == SERVICES_PACKAGE for a in node.names)
        for node in ast.walk(tree)
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value == SERVICES_PACKAGE:
                found.append(f"{node.lineno}: {node.value!r} (the services package, by name)")
                continue
            names = [node.value]
        elif isinstance(node, ast.JoinedStr):
            names = [ast.unparse(node)]
        elif (
            binds_package
            and isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == SERVICES_PACKAGE
        ):
            names = [f"services.{node.attr}"]
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
        if (found := service_references(path.read_text(), module_name(path), path.name == "__init__.py"))
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
        "importlib.import_module('services.' + name + '.manifest')",
        "importlib.import_module('services.%s.manifest' % name)",
        "importlib.import_module('.'.join(('services', name, 'manifest')))",
        "importlib.import_module('.registry.manifest', package='services')",
        "__import__('services', fromlist=[name])",
        "import services\nservices.registry.manifest.MANIFEST",
        "import pkgutil, services\nfound = [m.name for m in pkgutil.iter_modules(services.__path__)]",
        "from ...registry.adapters import tables",  # relative, from services/common/admin/cli.py
        "from ... import matching",
        "from ...registry import manifest",
    ],
)
def test_the_check_catches_each_way_of_reaching_a_service(source: str) -> None:
    assert service_references(source, "services.common.admin.cli")


def test_relative_imports_are_resolved_from_the_module_that_makes_them() -> None:
    assert service_references("from .. import registry", "services.common.manifest")
    assert service_references("from .. import registry", "services.common", is_package=True)
    assert not service_references("from . import registry", "services.common", is_package=True)  # common's own
    assert not service_references("from . import manifest", "services.common", is_package=True)
    assert not service_references("from .console import EXIT_USAGE", "services.common.admin.cli")
    assert not service_references("from .. import settings", "services.common.admin.cli")


@pytest.mark.parametrize(
    "source",
    [
        "from services.common.settings import Settings",
        "import services.common.manifest",
        "TYPE = 'plr.registry.trust.onboarded.v1'",  # an event's type names its source, not a module
        "'''see services/<name>/manifest.py'''",
        "ENTRY_POINT_GROUP = 'plr.services'",
        "message = f'no service {name!r} (services: {names})'",
        "load_settings(services=(name,))",
        "services = manifests()\nfor manifest in services.values(): pass",  # a variable, not the package
        "'''Every platform piece finds the services.\n\nThrough their manifests.'''",
        "message = 'no manifest names the services.'",
    ],
)
def test_the_check_lets_the_platform_be(source: str) -> None:
    assert not service_references(source, "services.common.admin.cli")


def test_every_service_directory_has_a_manifest_and_every_manifest_a_directory() -> None:
    directories = {p.parent.name for p in SERVICES_DIR.glob("*/__init__.py")} - {"common"}
    declared = manifests()
    assert directories - set(declared) == set(), (
        "a service without a manifest: add services/<name>/manifest.py and its entry point in pyproject.toml "
        "(docs/adding-a-service.md), then `make venv` (the entry points are read from the installed package)"
    )
    assert set(declared) - directories == set()
    for name, manifest in declared.items():
        assert (SERVICES_DIR / name / "manifest.py").is_file(), name
        assert manifest.migrations == SERVICES_DIR / name / "migrations", name
