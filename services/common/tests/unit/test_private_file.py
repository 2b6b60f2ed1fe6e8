"""Files that hold credentials or personal data are created 0600 and never through a planted link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from services.common.admin.local_run import ensure_env_file
from services.common.admin.private_file import PathRefused, open_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_private_file_is_readable_by_its_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    previous = os.umask(0)
    try:
        with open_private(path) as written:
            written.write("secret")
    finally:
        os.umask(previous)
    assert mode(path) == 0o600 and path.read_text() == "secret"


@pytest.mark.parametrize("replace", [False, True], ids=["new", "replacing"])
@pytest.mark.parametrize("target_exists", [False, True], ids=["dangling", "to-a-file"])
def test_a_symbolic_link_planted_at_the_path_is_refused_and_nothing_is_written_through_it(
    tmp_path: Path, replace: bool, target_exists: bool
) -> None:
    target = tmp_path / "elsewhere" / "stolen.txt"
    target.parent.mkdir()
    if target_exists:
        target.write_text("theirs")
    link = tmp_path / "export.json"
    link.symlink_to(target)

    with pytest.raises(PathRefused, match="is a symbolic link"):
        open_private(link, replace=replace)

    assert link.is_symlink()
    assert (target.read_text() == "theirs") if target_exists else not target.exists()


def test_an_existing_file_is_refused_unless_replacing_and_a_replaced_file_is_made_afresh(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    path.write_text("old")
    path.chmod(0o644)
    with pytest.raises(PathRefused, match="exists; plr does not overwrite it"):
        open_private(path)
    assert path.read_text() == "old"

    with open_private(path, replace=True) as written:
        written.write("new")
    assert path.read_text() == "new" and mode(path) == 0o600


def test_a_directory_at_the_path_is_refused_even_when_replacing(tmp_path: Path) -> None:
    with pytest.raises(PathRefused, match="not a regular file"):
        open_private(tmp_path, replace=True)


def test_make_run_writes_its_settings_file_0600_and_refuses_a_link_planted_in_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLR_ENV_FILE", raising=False)
    env_file = tmp_path / ".plr" / "plr.env"
    ensure_env_file(env_file)
    assert mode(env_file) == 0o600 and "PLR_ADMIN_TOKEN=" in env_file.read_text()

    planted = tmp_path / "other" / "plr.env"
    target = tmp_path / "world-readable.txt"
    planted.parent.mkdir()
    planted.symlink_to(target)
    with pytest.raises(SystemExit, match="is a symbolic link"):
        ensure_env_file(planted)
    assert not target.exists()

    target.write_text("# someone else's file\n")  # nor extended through a link to an existing file
    with pytest.raises(SystemExit, match="is a symbolic link"):
        ensure_env_file(planted)
    assert target.read_text() == "# someone else's file\n"
