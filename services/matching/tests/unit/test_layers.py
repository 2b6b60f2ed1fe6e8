"""Matching's domain and service layer load no SQLAlchemy (nor psycopg2), even through what they import
(the ports, the common unit of work): checked in a fresh interpreter. The registry's
``test_layers.py`` also checks each service-layer module's own imports; this is matching's share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2]


def test_importing_matchings_domain_and_service_layer_loads_no_sqlalchemy() -> None:
    layers = [SERVICE / "service_layer", SERVICE / "domain"]
    names = [f"services.matching.{p.parent.name}.{p.stem}" for layer in layers for p in sorted(layer.glob("*.py"))]
    assert "services.matching.service_layer.opportunities" in names
    script = "".join(f"import {name}\n" for name in names) + (
        "import sys\nloaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg2'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=SERVICE.parents[1], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
