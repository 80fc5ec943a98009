"""One writer per folder: an OS lock on ``<folder>/.lock`` held while a process writes the folder.

A run folder (the pipeline, ``make seeds``) and a training folder (``hybridlib.train.run.train``, which
``notebooks/03_train`` can call as well as the pipeline) are each written by at most one process at a
time: two writers would rename or delete each other's temporary files. The lock is ``fcntl.flock``
on an open file, so the operating system releases it when its process ends, killed or not; there is
never a stale lock to delete by hand. The file keeps the last holder's pid, command line, start time
and host, so that a second writer can say who holds the folder. A second writer stops before it
writes anything (:class:`FolderBusy`). Readers (search, ``08_explore``, the report) take no lock: every
file is written atomically (:mod:`hybridlib.io`), so they never see a half-written one.

A process may take the lock of a folder it already holds (a seed run inside ``make seeds`` that
re-enters the main run folder): it is counted, not taken twice.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The lock file's name inside a locked folder.
LOCK_FILE = ".lock"

#: Folders this process holds: resolved path → (open file descriptor, times taken).
_held: dict[Path, list[int]] = {}
_guard = threading.Lock()


class FolderBusy(RuntimeError):
    """Another process is writing the folder."""


class FolderNotWritable(PermissionError):
    """The folder cannot be created or written (checked before any work starts)."""


def holder_record() -> dict[str, Any]:
    """Who holds a lock: written into the lock file so that a second writer can name the holder."""
    return {
        "pid": os.getpid(),
        "command": " ".join(sys.argv) or sys.executable,
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
    }


def read_holder(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The holder recorded in ``folder``'s lock file (the last one that took it), None if unreadable."""
    try:
        return json.loads((Path(folder) / LOCK_FILE).read_text())
    except (OSError, ValueError):
        return None


def _busy_message(folder: Path, what: str) -> str:
    holder = read_holder(folder)
    if not holder or "pid" not in holder:
        who = "another process (it is just starting: its pid is not recorded yet)"
        todo = "wait for it to finish"
    else:
        here = holder.get("host") == socket.gethostname()
        who = (
            f"pid {holder['pid']}{'' if here else ' on ' + str(holder.get('host'))} "
            f"(`{holder.get('command')}`, started {holder.get('started')})"
        )
        todo = f"wait for it to finish, or stop it (`kill {holder['pid']}`{'' if here else ' there'})"
    return (
        f"{what} {folder} is being written by {who}; one process at a time writes a {what}: {todo}, "
        "then start again. Nothing was changed."
    )


def _open_lock_file(folder: Path, what: str) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise FolderNotWritable(not_writable_message(folder, what, err)) from err
    return fd


def not_writable_message(folder: Path, what: str, err: OSError) -> str:
    """One sentence: which folder cannot be written, why, and what to do."""
    return (
        f"{what} {folder} cannot be created or written ({err.strerror or err}): give yourself write "
        "permission on it, or choose another folder (the `run_dir` / `figures_dir` parameters). "
        "Nothing was run."
    )


def check_writable(folder: str | os.PathLike, what: str = "run folder") -> None:
    """Create ``folder`` if needed and a file in it, or raise :class:`FolderNotWritable` (checked at the
    start of a run, so that an unwritable folder stops it before any training)."""
    import tempfile

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise FolderNotWritable(not_writable_message(folder, what, err)) from err


def acquire(folder: str | os.PathLike, what: str = "run folder") -> Path:
    """Take ``folder``'s writer lock (creating the folder), or raise :class:`FolderBusy` at once.

    Raises :class:`FolderNotWritable` when the folder cannot be created or written. Pair every call
    with :func:`release`; :func:`writer_lock` does both.
    """
    key = Path(folder).resolve()
    with _guard:
        if key in _held:
            _held[key][1] += 1
            return key
        fd = _open_lock_file(key, what)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderBusy(_busy_message(key, what)) from None
        record = json.dumps(holder_record()).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record + b"\n", 0)
        _held[key] = [fd, 1]
        return key


def release(folder: str | os.PathLike) -> None:
    """Give back a lock taken by :func:`acquire` (the last release closes it; the file stays)."""
    key = Path(folder).resolve()
    with _guard:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _held[key]
            os.close(entry[0])  # closing the descriptor releases the flock


@contextmanager
def writer_lock(folder: str | os.PathLike, what: str = "run folder") -> Iterator[Path]:
    """Hold ``folder``'s writer lock for the block (see :func:`acquire`); yields the resolved folder."""
    key = acquire(folder, what)
    try:
        yield key
    finally:
        release(key)


def holds(folder: str | os.PathLike) -> bool:
    """Whether this process holds ``folder``'s writer lock."""
    return Path(folder).resolve() in _held
