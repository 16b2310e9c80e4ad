"""Workbooks that arrive in a ZIP archive (an e-mail attachment): unpacked into a temporary
folder, each under the name „podklady.zip – obec.xlsx“, so that they are read, reported and
merged like any other file, and the report still says where each came from.

The archive is untrusted like any submission: only its members that are files of the kinds
asked for are taken out (never a lock file or macOS metadata), by their own name only (no
path from the archive reaches the disk), each within the size limit of one file and all
within the limit of one zip (:class:`~xlkpss.read.safety.ReadLimits`), read in pieces that
stop at the declared size.  Anything else — not a plain ZIP (an xlsx or ods is a zip too),
an encrypted member, too many or too large members, a broken archive — gives ``None``: the
caller then reads the archive as a file, and the reader says why it is not a workbook
(``file-archive``: unpack it).  The input is never modified; the unpacked copies are removed
when the process ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Collection
from pathlib import Path

from xlkpss.read.safety import DEFAULT_LIMITS, ReadLimits

__all__ = [
    "LOCK_PREFIXES",
    "MAX_MEMBERS",
    "REPORTED_SUFFIXES",
    "SPREADSHEET_SUFFIXES",
    "as_given",
    "is_workbook_member",
    "unpack_zip",
]

#: what a returned workbook is named, in a folder or an archive
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".xltx", ".xltm"})
#: what else a submission comes as, which is not read: a ZIP e-mailed with workbooks in it,
#: Excel's binary .xlsb, Apple Numbers, flat OpenDocument, other archives.  Listed so that
#: the report says why (never silently left out)
REPORTED_SUFFIXES = frozenset({".zip", ".xlsb", ".numbers", ".fods", ".7z", ".rar"})
#: the lock files Excel („~$…“) and LibreOffice („.~lock…“) keep beside an open file
LOCK_PREFIXES = ("~$", ".~lock")
#: an archive with more members of the kinds asked for is not unpacked (reported instead)
MAX_MEMBERS = 1000
_CHUNK = 1 << 20
_ROOT: Path | None = None
_SEQ = 0


def _root() -> Path:
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="xlkpss-zip-"))
        atexit.register(_remove, _ROOT, os.getpid())
    return _ROOT


def _remove(root: Path, owner: int) -> None:
    """The unpacked copies, at the end of the process that made them (a worker process
    forked from it, which reads them, never removes them)."""
    if os.getpid() == owner:
        shutil.rmtree(root, ignore_errors=True)


def _wanted(name: str, suffixes: Collection[str]) -> bool:
    """A member named like one of ``suffixes``, not a lock file nor macOS's „._“ metadata."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return not base.startswith((*LOCK_PREFIXES, "._")) and Path(base).suffix.lower() in suffixes


def is_workbook_member(name: str) -> bool:
    """Whether a member of a plain archive is a workbook by its name."""
    return _wanted(name, SPREADSHEET_SUFFIXES)


def unpack_zip(path: Path, suffixes: Collection[str], limits: ReadLimits = DEFAULT_LIMITS) -> list[Path] | None:
    """The members of the ZIP archive ``path`` whose names end in ``suffixes`` (lower case,
    with the dot), unpacked and named „⟨archive⟩ – ⟨member⟩“ (a member in a folder of the
    archive: „⟨archive⟩ – ⟨folder⟩ – ⟨member⟩“), with the member's date as their file time;
    None when the archive is not to be unpacked (see the module).  The same archive (path,
    size and time unchanged) asked again in the process gives the same files, unpacked once."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, tuple(sorted(suffixes)), limits)
    if key in _DONE and all(p.is_file() for p in _DONE[key] or ()):
        return _DONE[key]
    _DONE[key] = out = _unpack(path, suffixes, limits)
    return out


#: archives unpacked in this process: (path, size, time, suffixes, limits) -> their files
_DONE: dict[tuple, list[Path] | None] = {}
#: an unpacked file -> where the user sees it: beside its archive, under its own name
_GIVEN: dict[Path, Path] = {}


def as_given(path: Path) -> Path:
    """The path as the person who gave the inputs knows it: for a file unpacked from an
    archive, „⟨the archive's folder⟩/⟨archive⟩ – ⟨member⟩“ (beside the archive, where the
    names shown in a merge are made relative to); any other path as it is."""
    return _GIVEN.get(Path(path), Path(path))


def _entries(path: Path) -> int | None:
    """The number of entries the archive's end record declares (read before ``zipfile``
    parses its whole directory, ~400 bytes of memory an entry), None when not found."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65557))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    n = int.from_bytes(tail[at + 10 : at + 12], "little")
    return None if n == 0xFFFF else n  # ZIP64: not an e-mailed archive of a few workbooks


def _unpack(path: Path, suffixes: Collection[str], limits: ReadLimits) -> list[Path] | None:
    try:
        if path.stat().st_size > limits.max_uncompressed:
            return None
        entries = _entries(path)
        if entries is None or entries > 10 * MAX_MEMBERS:
            return None
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename.replace("\\", "/").lstrip("/").casefold() for i in infos}
            if "[content_types].xml" in names or "mimetype" in names:
                return None  # an OOXML or OpenDocument package: a workbook (or a document) itself
            members = [i for i in infos if not i.is_dir() and _wanted(i.filename, suffixes)]
            if not members or len(members) > MAX_MEMBERS:
                return None
            if any(i.flag_bits & 0x1 or i.file_size > limits.max_bytes for i in members):
                return None
            if sum(i.file_size for i in members) > limits.max_uncompressed:
                return None
            global _SEQ
            _SEQ += 1
            dest = _root() / str(_SEQ)
            dest.mkdir()
            out = []
            for info in members:
                parts = [p for p in info.filename.replace("\\", "/").split("/") if p and p not in (".", "..")]
                target = dest / " – ".join([path.name, *parts])
                if target.exists() or len(target.name.encode("utf-8")) > 255:
                    return None
                written = 0
                with zf.open(info) as src, target.open("wb") as fh:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > info.file_size:  # more than the directory declared: refused
                            return None
                        fh.write(chunk)
                stamp = time.mktime((*info.date_time, 0, 0, -1))
                os.utime(target, (stamp, stamp))
                out.append(target)
                _GIVEN[target] = path.parent / target.name
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
            zlib.error):  # fmt: skip
        return None
