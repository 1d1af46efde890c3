"""Writing files that lose nothing (every output rnnlab writes goes through `write_atomic`), and reading an input
file twice even when it is a pipe (`rereadable`)."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it and put it back
    os.umask(mask)
    return mask


class WriteError(OSError):
    """An output file could not be written. Its message names the file, which the OSError of a full disk does
    not: "cannot write 'out/report.html': No space left on device"."""

    def __init__(self, path: str | Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))

    def __str__(self) -> str:
        return f"cannot write {self.filename!r}: {self.strerror}"


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a part.

    The temporary file beside `path` is made with mode 0600; the result gets the mode any file the user writes
    gets (0666 less the umask), as `open(path, "w")` would give it. Any failure (a full disk, a missing folder,
    no permission) is a WriteError naming `path`, and leaves the old file as it was.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise WriteError(path, e) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise WriteError(path, e) from e
        raise


def finite(obj: Any) -> Any:
    """obj with every non-finite float replaced by None, as JSON has no NaN or Infinity."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def json_text(obj: Any, indent: int | None = None) -> str:
    """obj as strict JSON (non-finite floats as null)."""
    return json.dumps(finite(obj), indent=indent, allow_nan=False)


@contextmanager
def rereadable(path: str | Path) -> Iterator[IO[bytes]]:
    """`path` opened "rb" so that it can be read, rewound with seek(0) and read again: a regular file as it is,
    anything else (a pipe such as /dev/stdin, a FIFO) copied first to a temporary file, since it reads only once.
    """
    with open(path, "rb") as f:
        if stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            yield f
            return
        with tempfile.TemporaryFile() as copy:
            shutil.copyfileobj(f, copy)
            copy.seek(0)
            yield copy
