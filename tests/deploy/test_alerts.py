"""deploy/prometheus/alerts.yml: well-formed alerting rules that name only metrics plr processes export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY

import services.common.metrics  # noqa: F401  (registers plr's metrics)

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# series Prometheus makes itself, not a process
PROMETHEUS_OWN = {"up"}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"), "gauge": ("",)}


def exported_series() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_rules_file_has_the_shape_prometheus_loads() -> None:
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"}
    names = [group["name"] for group in document["groups"]]
    assert len(names) == len(set(names)), "group names are unique"
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["alert"]), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_every_metric_the_rules_use_is_exported_by_a_plr_process() -> None:
    exported = exported_series() | PROMETHEUS_OWN
    for rule in rules():
        expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", rule["expr"])  # label matchers and ranges
        used = {name for name in re.findall(r"\b(plr_[a-z_]+|up)\b", expr)}
        assert used, rule["alert"]
        assert used <= exported, f"{rule['alert']} uses {sorted(used - exported)}, which no process exports"


def test_the_alerts_the_operators_need_are_there() -> None:
    """Outbox age, dead letters, a consumer (worker) down: what the issue asks the rules to catch."""
    by_metric = {name for rule in rules() for name in re.findall(r"plr_[a-z_]+|up\{job=\"plr-worker\"\}", rule["expr"])}
    assert "plr_outbox_oldest_age_seconds" in by_metric
    assert "plr_dead_letters_total" in by_metric
    assert 'up{job="plr-worker"}' in by_metric
