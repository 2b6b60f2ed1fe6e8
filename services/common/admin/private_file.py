"""Files ``plr`` writes that hold credentials or personal data (``.plr/plr.env``, a trust's export,
an import's bad rows): created only its owner can read, never through a symbolic link.

The file is created with its final mode in the same call that makes it (``O_CREAT | O_EXCL``, 0600),
so there is no moment when another user can open it, and ``O_NOFOLLOW`` with ``O_EXCL`` refuses a
link planted at the path (even a dangling one) instead of writing wherever it points.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TextIO

PRIVATE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class PathRefused(Exception):
    """The path cannot be written safely; nothing was written."""


def open_private(path: Path, *, replace: bool = False, newline: str | None = None) -> TextIO:
    """A new file at ``path``, mode 0600, open for writing UTF-8 text.

    An existing file is refused, unless ``replace`` is given and it is a regular file (it is then
    removed and created afresh, so a file another user could read never keeps our contents). A
    symbolic link or anything else at the path is always refused."""
    if replace:
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(found.st_mode):
                raise PathRefused(_not_a_file(path))
            os.unlink(path)
    try:
        descriptor = os.open(path, _FLAGS, PRIVATE_MODE)
    except FileExistsError:
        # (a link planted between the unlink above and the open lands here too: refused, not followed)
        refuse_existing(path)
        raise PathRefused(f"{path} appeared while it was being created; nothing was written") from None
    except OSError as error:
        raise PathRefused(f"{path} cannot be created: {error.strerror}") from None
    os.fchmod(descriptor, PRIVATE_MODE)  # exactly 0600 whatever the umask
    return os.fdopen(descriptor, "w", encoding="utf-8", newline=newline)


def refuse_existing(path: Path) -> None:
    """Refuses, saying what is there, when anything is at ``path`` (so a command can say it before it
    asks for confirmation or sends anything; ``open_private`` refuses again if one appears since)."""
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
        raise PathRefused(_not_a_file(path))
    if os.path.lexists(path):
        raise PathRefused(f"{path} exists; plr does not overwrite it: move it away or choose a new file")


def _not_a_file(path: Path) -> str:
    what = "a symbolic link" if os.path.islink(path) else "not a regular file"
    return f"{path} is {what}; plr does not write through it: remove it or choose another path"


def remove_if_ours(path: Path, handle: TextIO) -> None:
    """Removes the file ``handle`` created at ``path`` (when what it was for failed), and nothing else:
    not a file that has since taken its place."""
    try:
        if os.path.samestat(os.fstat(handle.fileno()), os.lstat(path)):
            os.unlink(path)
    except FileNotFoundError:
        pass
    finally:
        # what is still buffered cannot be written either (the disk is full): it is discarded
        with contextlib.suppress(OSError):
            handle.close()
