"""Each service's Alembic revisions form one line: branches developed side by side are merged by a
revision of their own (never by rewriting a released one), so that ``migrate`` ends at one head."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from services.common.manifest import manifests
from services.common.migrate import alembic_config


def heads(migrations: Path) -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config(migrations)).get_heads())


@pytest.mark.parametrize("service", sorted(manifests()))
def test_every_service_has_exactly_one_migration_head(service: str) -> None:
    found = heads(manifests()[service].migrations)
    assert len(found) == 1, f"{service} has {len(found)} migration heads {sorted(found)}: add a merge revision"


def test_registrys_three_branches_are_merged_by_a_revision_of_their_own() -> None:
    script = ScriptDirectory.from_config(alembic_config(manifests()["registry"].migrations))
    merge = script.get_revision("0006")
    assert merge is not None and set(merge.down_revision) == {"0003", "0004", "0005"}  # type: ignore[arg-type]


def _revision(folder: Path, revision: str, parent: str | None) -> None:
    (folder / f"{revision}.py").write_text(
        f"revision = {revision!r}\ndown_revision = {parent!r}\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
    )


def test_the_check_counts_two_branches_from_one_parent_as_two_heads(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "script.py.mako").write_text("")
    _revision(tmp_path / "versions", "a1", None)
    _revision(tmp_path / "versions", "b1", "a1")
    _revision(tmp_path / "versions", "b2", "a1")
    assert sorted(heads(tmp_path)) == ["b1", "b2"]
