"""write_atomic: a failed write leaves the old file whole and names the file it could not write."""

import errno
import os
from pathlib import Path

import pytest

from rnnlab.files import WriteError, write_atomic


def test_a_full_disk_leaves_the_old_file_and_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.html"
    write_atomic(path, "old\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("rnnlab.files.os.fsync", full)
    with pytest.raises(WriteError) as e:
        write_atomic(path, "new\n" * 1000)
    assert str(e.value) == f"cannot write {str(path)!r}: {os.strerror(errno.ENOSPC)}"
    assert e.value.errno == errno.ENOSPC and isinstance(e.value, OSError)
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_missing_folder_names_the_file_not_the_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "out.json"
    with pytest.raises(WriteError, match=r"cannot write '.*no-such-folder/out\.json': No such file or directory$"):
        write_atomic(path, "{}")


def test_a_folder_in_the_way_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "out.json").mkdir()
    with pytest.raises(WriteError, match=r"cannot write '.*out\.json': Is a directory"):
        write_atomic(tmp_path / "out.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
