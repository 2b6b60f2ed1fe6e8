"""Generated protobuf code is built by `make proto`, never hand-edited: it must match the .proto files."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto" / "plr").rglob("*.proto"))
    assert protos
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "proto",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *protos,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert generated
    stale = [str(p) for p in generated if not filecmp.cmp(tmp_path / p, ROOT / "proto/gen/python" / p, shallow=False)]
    assert not stale, f"run `make proto`: out of date: {stale}"


def test_every_generated_directory_is_a_package_that_the_install_finds() -> None:
    """pyproject.toml finds packages (not namespace packages): a directory of generated code without an
    ``__init__.py`` works in the editable install of `make venv` but is left out of the image's
    ``pip install .``, whose api then fails to import it. `make proto` writes them."""
    from setuptools import find_packages

    generated = ROOT / "proto" / "gen" / "python"
    found = set(find_packages(where=str(generated), include=["plr*"]))
    directories = {".".join(p.parent.relative_to(generated).parts) for p in (generated / "plr").rglob("*_pb2.py")}
    assert directories, "no generated code found"
    assert directories <= found, f"run `make proto`: not packages (no __init__.py): {sorted(directories - found)}"
