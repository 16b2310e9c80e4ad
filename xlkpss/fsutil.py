"""Small file-system helpers: atomic writes and hashing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputError(Exception):
    """An output cannot be written where asked (e.g. it would overwrite an input)."""


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, protect: set[Path] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place only if the block succeeds.

    A crash or an exception leaves no half-written file.  ``protect`` lists input files
    that must never be overwritten.
    """
    target = Path(target)
    if protect and target.resolve() in {p.resolve() for p in protect}:
        raise OutputError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: str | os.PathLike, text: str, *, protect: set[Path] | None = None) -> Path:
    with atomic_path(target, protect=protect) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
