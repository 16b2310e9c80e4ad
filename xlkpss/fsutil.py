"""Small file-system helpers: safe (atomic) output, hashing.

Every file xlkpss writes goes through :func:`atomic_path` (or :func:`write_text_atomic`):

- the content is written to a *tagged* temporary file next to the target
  (``.~xlkpss-<host>-<pid>-<random>-<name>``), flushed to the disk, checked (a workbook
  must be a whole zip, a PDF must end with ``%%EOF``) and only then moved over the target
  in one step (``os.replace``) — the target is always either the previous file or the
  complete new one, also when two runs write it at once (the later move wins);
- any operating-system failure (full disk, read-only folder, no permission, name too
  long, missing folder, a folder in the way …) becomes :class:`OutputError`, whose text
  is one Czech sentence naming the path and what to do; the temporary file is removed;
- a temporary file left behind by a process that was killed (``kill -9``, power loss)
  is recognised by its tag and removed by the next xlkpss run writing into that folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

#: every temporary output file starts with this (a dot file: hidden in file managers)
TEMP_PREFIX = ".~xlkpss-"
_TEMP_RE = re.compile(r"^\.~xlkpss-([0-9a-f]{4})-(\d+)-")
#: a temporary file of another computer (a shared network folder) is removed only when older
_FOREIGN_TEMP_AGE_S = 24 * 3600


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:4]


_HOST = _host_tag()

#: folders already swept by this process (a sweep is one directory listing)
_swept: set[str] = set()


class OutputError(Exception):
    """An output cannot be written where asked.

    ``reason`` is a key of :data:`xlkpss.i18n.OUTPUT_PROBLEMS` (``no-space``, ``read-only``,
    ``permission``, ``name-too-long``, ``folder-missing``, ``is-directory``, ``input`` …);
    ``str(exc)`` is the Czech message for the user.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        reason: str = "input",
        *,
        expected: str = "",
        untouched: bool = False,
        reading: bool = False,
        folder: str | os.PathLike | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.expected = expected
        self.untouched = untouched
        self.reading = reading
        self.folder = Path(folder) if folder is not None else (self.path.parent if str(self.path.parent) else Path("."))
        super().__init__(str(self.path), reason)

    def message(self) -> str:
        from xlkpss.i18n import output_problem_text

        return output_problem_text(
            self.reason,
            str(self.path),
            folder=str(self.folder),
            expected=self.expected,
            untouched=self.untouched,
            reading=self.reading,
        )

    def __str__(self) -> str:
        return self.message()

    @classmethod
    def from_os_error(
        cls, exc: OSError, path: str | os.PathLike, *, untouched: bool = False, reading: bool = False
    ) -> OutputError:
        """The Czech reason for an ``OSError`` met while writing (or reading) ``path``."""
        path = Path(path)
        folder = path.parent
        code = exc.errno
        expected = ""
        if code == errno.ENOSPC:
            reason = "no-space"
        elif code == getattr(errno, "EDQUOT", -1):
            reason = "quota"
        elif code == errno.EROFS:
            reason = "read-only"
        elif code in (errno.EACCES, errno.EPERM):
            reason = "no-read-permission" if reading else "permission"
            if reading:
                folder = path
        elif code in (errno.EBUSY, errno.ETXTBSY):
            reason = "locked"
        elif code == errno.ENAMETOOLONG:
            reason = "name-too-long"
        elif code == errno.ENOENT:
            if reading:
                reason = "missing-file"
            elif folder.is_dir():
                reason, expected = "other", str(code)
            else:
                reason, folder = "folder-missing", _first_missing(folder)
        elif code == errno.ENOTDIR:
            reason, folder = "not-a-folder", _first_file(folder)
        elif code == errno.EISDIR:
            reason, expected = "is-directory", str(path / f"vystup{path.suffix or '.xlsx'}")
        elif code == errno.EEXIST:
            reason, folder = "not-a-folder", _first_file(folder)
        elif code == errno.EIO:
            reason = "io"
        else:
            reason, expected = "other", str(code or "?")
        return cls(path, reason, expected=expected, untouched=untouched, reading=reading, folder=folder)


def _first_missing(folder: Path) -> Path:
    """The outermost folder of ``folder`` that does not exist (the one to create)."""
    missing = folder
    for parent in folder.parents:
        if parent.exists() or str(parent) in ("", "."):
            break
        missing = parent
    return missing


def _first_file(folder: Path) -> Path:
    """The part of ``folder`` that is a file, not a folder (why the folder cannot exist)."""
    for p in [folder, *folder.parents]:
        if p.exists() and not p.is_dir():
            return p
    return folder


def _os_error_of(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc`` (xlsxwriter wraps it in FileCreateError, zipfile may chain it)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError):
            return exc
        for arg in getattr(exc, "args", ()):
            if isinstance(arg, OSError):
                return arg
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def check_output(path: str | os.PathLike, *, folder: bool = False) -> Path:
    """Check before any work that ``path`` can be written; raise :class:`OutputError` if not.

    A file output needs an existing, writable folder and no folder at its own place; a
    folder output (``folder=True``, created when missing) needs no file at its place and
    a writable nearest existing folder.  The write itself is still guarded by
    :func:`atomic_path`: a disk can fill up in between.
    """
    path = Path(path)
    try:
        return _check_output(path, folder)
    except OSError as exc:  # e.g. a folder on the way that cannot even be looked into
        raise OutputError.from_os_error(exc, path) from None


def _check_output(path: Path, folder: bool) -> Path:
    parts_too_long = any(len(os.fsencode(part)) > 255 for part in path.parts)
    if parts_too_long or len(os.fsencode(str(path.absolute()))) >= 4096:
        raise OutputError(path, "name-too-long")
    if folder:
        if path.exists() and not path.is_dir():
            raise OutputError(path, "is-file")
        existing = path
        while not existing.exists():
            if existing.parent == existing:
                break
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(path, "not-a-folder", folder=_first_file(existing))
        where = existing
    else:
        if path.is_dir():
            raise OutputError(path, "is-directory", expected=str(path / "vystup.xlsx"))
        parent = path.parent
        if not parent.exists():
            raise OutputError(path, "folder-missing", folder=_first_missing(parent))
        if not parent.is_dir():
            raise OutputError(path, "not-a-folder", folder=_first_file(parent))
        if len(os.fsencode(path.name)) > _name_max(parent):
            raise OutputError(path, "name-too-long")
        where = parent
    if _read_only(where):
        raise OutputError(path, "read-only", folder=where)
    if not os.access(where, os.W_OK | os.X_OK):
        raise OutputError(path, "permission", folder=where)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    except OSError:
        return True
    return True


def sweep_stale_temps(folder: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Remove temporary outputs in ``folder`` left by xlkpss runs that no longer exist.

    Only files carrying the xlkpss tag are touched: of this computer when their process is
    gone, of another computer (a shared folder) when older than a day.  Each folder is
    swept once per process unless ``force``.  Returns the removed paths.
    """
    folder = Path(folder)
    key = str(folder.absolute())
    if key in _swept and not force:
        return []
    _swept.add(key)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if not m:
            continue
        host, pid = m.group(1), int(m.group(2))
        try:
            if host == _HOST:
                if pid == os.getpid() or _pid_alive(pid):
                    continue
            elif now - entry.stat(follow_symlinks=False).st_mtime < _FOREIGN_TEMP_AGE_S:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def temp_files(folder: str | os.PathLike) -> list[Path]:
    """The xlkpss temporary files in ``folder`` (for checks and tests)."""
    try:
        return sorted(p for p in Path(folder).iterdir() if p.name.startswith(TEMP_PREFIX))
    except OSError:
        return []


def _incomplete(target: Path, what: str) -> OutputError:
    """A file found cut short: a full disk when there is (almost) no space left."""
    try:
        full = shutil.disk_usage(target.parent).free < 256 * 1024
    except OSError:
        full = False
    return OutputError(target, "no-space") if full else OutputError(target, "incomplete", expected=what)


def _verify_complete(tmp: Path, target: Path) -> None:
    """A written workbook must be a whole zip, a PDF must have its end marker (a program
    such as Chromium may stop writing on a full disk without saying so)."""
    suffix = target.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if not zipfile.is_zipfile(tmp):
            raise _incomplete(target, "sešit není celý")
    elif suffix == ".pdf":
        size = tmp.stat().st_size
        with open(tmp, "rb") as fh:
            head = fh.read(5)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        if head != b"%PDF-" or b"%%EOF" not in tail:
            raise _incomplete(target, "PDF není celé")


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, protect: set[Path] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place only if the block succeeds.

    A crash or an exception leaves no half-written file (and no temporary file, except
    after ``kill -9``: the next run sweeps it).  ``protect`` lists input files that must
    never be overwritten.  Operating-system failures raise :class:`OutputError`.
    """
    target = Path(target)
    if protect and target.resolve() in {p.resolve() for p in protect}:
        raise OutputError(target, "input")
    existed = target.is_file()
    if target.is_dir():
        raise OutputError(target, "is-directory", expected=str(target / f"vystup{target.suffix or '.xlsx'}"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(exc, target) from None
    sweep_stale_temps(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-", suffix=f"-{target.stem[:40]}{target.suffix}",
            dir=target.parent,
        )
    except OSError as exc:
        raise OutputError.from_os_error(exc, target, untouched=existed) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            _verify_complete(tmp_path, target)
            _fsync(tmp_path)
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, target)
        except OutputError as exc:
            exc.untouched = exc.untouched or existed
            raise
        except Exception as exc:
            os_error = _os_error_of(exc)
            if os_error is None or not _about(os_error, tmp_path, target):
                raise
            raise OutputError.from_os_error(os_error, target, untouched=existed) from exc
        _fsync(target.parent, directory=True)
    finally:
        with contextlib.suppress(OSError):
            if tmp_path.exists():
                tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; when the block succeeds it replaces
    ``target`` (an existing folder is moved aside first and removed after).

    Readers see the old folder or the whole new one (bar the moment between the two
    moves, when ``target`` is briefly missing).  Operating-system failures raise
    :class:`OutputError`; the temporary folder is removed (after ``kill -9`` the next run
    sweeps it, like a temporary file).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(target, "is-file")
    existed = target.is_dir()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(exc, target) from None
    sweep_stale_temps(target.parent)
    stem = f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=stem, suffix=f"-{target.name[:40]}", dir=target.parent))
    except OSError as exc:
        raise OutputError.from_os_error(exc, target, untouched=existed) from None
    old: Path | None = None
    try:
        try:
            yield tmp
            for d in (tmp, *tmp.rglob("*")):
                os.chmod(d, 0o755 if d.is_dir() else 0o644)
            if existed:
                old = Path(tempfile.mkdtemp(prefix=stem, suffix="-old", dir=target.parent))
                os.replace(target, old / target.name)
            try:
                os.replace(tmp, target)
            except OSError:
                if old is not None:  # put the previous folder back
                    os.replace(old / target.name, target)
                raise
        except OutputError as exc:
            exc.untouched = exc.untouched or existed
            raise
        except Exception as exc:
            os_error = _os_error_of(exc)
            if os_error is None:
                raise
            raise OutputError.from_os_error(os_error, target, untouched=existed) from exc
        _fsync(target.parent, directory=True)
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def _about(exc: OSError, tmp: Path, target: Path) -> bool:
    """Is this OSError about writing the output (not, say, about reading an input)?"""
    names = [n for n in (exc.filename, getattr(exc, "filename2", None)) if n is not None]
    if not names:
        return True
    ours = {str(tmp), str(target), str(target.parent), str(tmp.resolve()), str(target.resolve())}
    return any(os.fsdecode(n) in ours for n in names)


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


def resolve_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """``[Path(p).resolve() for p in paths]``, resolving each distinct folder once.

    ``Path.resolve`` walks every component of every path (an ``lstat`` each); for the
    8,000 files of a national run, in a few hundred folders, that was ~0.3 s a pass and a
    merge made several passes.  A name that is not a symbolic link, ``.`` or ``..`` resolves
    to its resolved folder plus the name — the same answer ``os.path.realpath`` gives, also
    for a name that does not exist; anything else goes through ``Path.resolve``."""
    folders: dict[str, Path] = {}
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        name = p.name
        if not name or name in (".", ".."):
            out.append(p.resolve())
            continue
        try:
            link = stat.S_ISLNK(os.lstat(p).st_mode)
        except OSError:
            link = False  # missing (or unreadable): realpath keeps the name as it is
        if link:
            out.append(p.resolve())
            continue
        key = str(p.parent)
        folder = folders.get(key)
        if folder is None:
            folder = folders[key] = p.parent.resolve()
        out.append(folder / name)
    return out
