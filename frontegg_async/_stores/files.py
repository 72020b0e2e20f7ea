"""The one way this library writes a file that holds a secret: atomically, owner-only, and
without leaving a copy behind when the writer is killed.

A file is replaced by renaming a finished temporary file over it, so a reader sees the old
content or the new, never half. Where Linux offers ``O_TMPFILE``, the temporary file has no name
while it is written (the slow part: the write and the fsync); it gets one just before the rename,
so a writer killed with SIGKILL almost always leaves nothing on disk. Named temporary files
(``O_TMPFILE`` missing, or the microseconds between link and rename) carry their writer's pid,
and every write removes those whose writer is gone: a token never stays behind in a stray file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets

#: Temporary files are named ``.frontegg-<name>.<pid>.<random>.tmp`` beside their target.
_TEMPORARY = re.compile(r"^\.frontegg-(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_stray_temporaries(path: str) -> None:
    """Delete temporary files of ``path`` left by writers that died (never a live one's)."""
    directory, name = os.path.split(os.path.abspath(path))
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            match = _TEMPORARY.match(entry)
            if match and match["name"] == name and not _alive(int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, entry))


def _temporary_name(directory: str, name: str) -> str:
    return os.path.join(directory, f".frontegg-{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_all(handle: int, data: bytes) -> None:
    os.fchmod(handle, 0o600)  # whatever the umask said
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]
    os.fsync(handle)


def _write_unnamed(directory: str, temporary: str, path: str, data: bytes) -> bool:
    """Write ``data`` to a file with no name, name it ``temporary`` and rename that to
    ``path`` at once (a kill between the two leaves a stray for the next write to sweep);
    False where the file system (or a missing /proc) does not allow it, with nothing left
    behind."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return False
    try:
        handle = os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError:
        return False
    try:
        _write_all(handle, data)
        # With a directory descriptor, CPython calls linkat(AT_SYMLINK_FOLLOW), which follows
        # /proc/self/fd to the file itself; plain link() would link the magic symlink (EXDEV).
        directory_handle = os.open(directory, os.O_RDONLY)
        try:
            os.link(
                f"/proc/self/fd/{handle}",
                temporary,
                src_dir_fd=directory_handle,
                follow_symlinks=True,
            )
            os.replace(temporary, path)
        except FileNotFoundError:
            return False  # no /proc
        finally:
            os.close(directory_handle)
    finally:
        os.close(handle)
    return True


def write_private(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, readable and writable by its owner only.

    Raises ``OSError`` (ENOSPC, EACCES, ...) with nothing changed and nothing left behind.
    """
    directory, name = os.path.split(os.path.abspath(path))
    remove_stray_temporaries(path)
    temporary = _temporary_name(directory, name)
    try:
        if not _write_unnamed(directory, temporary, path, data):
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _write_all(handle, data)
            finally:
                os.close(handle)
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # The rename itself survives a power cut only once the directory is on disk too.
    with contextlib.suppress(OSError):
        directory_handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_handle)
        finally:
            os.close(directory_handle)
