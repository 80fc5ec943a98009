"""One writer per folder (hybridlib.lock): a second process stops at once naming the holder, a killed
holder leaves no stale lock, a process may re-enter a folder it holds, an unwritable folder is one
clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hybridlib.lock import (
    LOCK_FILE,
    FolderBusy,
    FolderNotWritable,
    acquire,
    check_writable,
    holds,
    read_holder,
    release,
    writer_lock,
)

HOLD = textwrap.dedent(
    """
    import sys, time
    from hybridlib.lock import writer_lock
    with writer_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
    """
)


def _holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_stops_naming_the_holder_and_a_killed_holder_leaves_no_lock(tmp_path):
    folder = tmp_path / "run"
    proc = _holder(folder)
    try:
        before = sorted(p.name for p in folder.iterdir())
        with pytest.raises(FolderBusy) as err, writer_lock(folder):
            pass
        message = str(err.value)
        assert str(folder.resolve()) in message and f"pid {proc.pid}" in message
        assert f"kill {proc.pid}" in message and "Nothing was changed" in message
        assert sorted(p.name for p in folder.iterdir()) == before == [LOCK_FILE]
        assert read_holder(folder)["pid"] == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the OS released the killed holder's lock: nothing to clean by hand
    with writer_lock(folder):
        assert holds(folder) and read_holder(folder)["pid"] == os.getpid()
    assert not holds(folder)


def test_a_process_reenters_a_folder_it_holds_and_nested_folders_are_separate(tmp_path):
    outer, inner = tmp_path / "run", tmp_path / "run" / "seed1"
    with writer_lock(outer), writer_lock(outer), writer_lock(inner):
        assert holds(outer) and holds(inner)
    assert not holds(outer) and not holds(inner)
    acquire(outer)
    acquire(outer)
    release(outer)
    assert holds(outer)
    release(outer)
    assert not holds(outer)


def test_an_unwritable_folder_is_one_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(FolderNotWritable, match=r"cannot be created or written.*Nothing was run"):
        acquire(blocker / "run")
    with pytest.raises(FolderNotWritable, match="a-file"):
        check_writable(blocker / "figures")
    if os.geteuid() != 0:  # root writes into read-only folders
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            with pytest.raises(FolderNotWritable):
                check_writable(ro)
        finally:
            ro.chmod(0o755)
