"""What of the broker's definitions a backup keeps: plr's vhost and the users allowed on it, nothing of
another vhost (a shared broker's other tenants, their users and password hashes)."""

from __future__ import annotations

from services.common.admin.backup import restorable_definitions, vhost_definitions

EVERYTHING = {
    "rabbit_version": "3.10.8",
    "users": [
        {"name": "plr", "password_hash": "h1", "tags": ["administrator"]},
        {"name": "other", "password_hash": "h2", "tags": []},
    ],
    "vhosts": [{"name": "/plr"}, {"name": "/other"}],
    "permissions": [
        {"user": "plr", "vhost": "/plr", "configure": ".*", "write": ".*", "read": ".*"},
        {"user": "other", "vhost": "/other", "configure": ".*", "write": ".*", "read": ".*"},
    ],
    "topic_permissions": [],
    "parameters": [],
    "global_parameters": [{"name": "cluster_name", "value": "rabbit@host"}],
    "policies": [{"vhost": "/plr", "name": "p"}, {"vhost": "/other", "name": "q"}],
    "queues": [{"vhost": "/plr", "name": "matching.registry-events"}, {"vhost": "/other", "name": "x"}],
    "exchanges": [{"vhost": "/plr", "name": "plr.events"}],
    "bindings": [{"vhost": "/other", "source": "a", "destination": "x"}],
}


def test_only_plrs_vhost_and_its_users_are_kept() -> None:
    kept = vhost_definitions(EVERYTHING, "/plr")
    assert [u["name"] for u in kept["users"]] == ["plr"]
    assert kept["vhosts"] == [{"name": "/plr"}]
    assert [q["name"] for q in kept["queues"]] == ["matching.registry-events"]
    assert [p["name"] for p in kept["policies"]] == ["p"]
    assert kept["bindings"] == [] and kept["exchanges"] == [{"vhost": "/plr", "name": "plr.events"}]
    assert "global_parameters" not in kept
    assert all(item.get("vhost") in (None, "/plr") for key in kept if isinstance(kept[key], list) for item in kept[key])


def test_a_restore_imports_plrs_own_users_and_never_the_one_it_runs_as() -> None:
    """The management URL's user (the broker administrator) is the restore's own credential: its password
    hash of backup time must not be imported (it would lock the restore out halfway), nor any user that
    is not plr's (guest); their permissions go with them, but the administrator's, who exists, stay."""
    saved = {
        "users": [
            {"name": "plr", "password_hash": "old"},
            {"name": "guest", "password_hash": "g"},
            {"name": "plr-registry", "password_hash": "r"},
            {"name": "plr-admin", "password_hash": "a"},
        ],
        "permissions": [{"user": name, "vhost": "/plr"} for name in ("plr", "guest", "plr-registry", "plr-admin")],
        "topic_permissions": [{"user": name, "vhost": "/plr"} for name in ("guest", "plr-registry")],
        "queues": [{"vhost": "/plr", "name": "matching.registry-events"}],
    }
    kept = restorable_definitions(saved, {"plr-registry", "plr-admin", "plr"}, administrator="plr")
    assert [u["name"] for u in kept["users"]] == ["plr-registry", "plr-admin"]
    assert [p["user"] for p in kept["permissions"]] == ["plr", "plr-registry", "plr-admin"]
    assert [p["user"] for p in kept["topic_permissions"]] == ["plr-registry"]
    assert kept["queues"] == saved["queues"]
