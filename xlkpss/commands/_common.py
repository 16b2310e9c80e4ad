"""Helpers shared by several commands (click only at top level)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import click


class IsoDate(click.ParamType):
    """A date option written as RRRR-MM-DD (``--generated``, ``--deadline``): a ``datetime.date``
    or a Czech usage error naming the option."""

    name = "RRRR-MM-DD"

    def convert(self, value, param, ctx):
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} není datum ve tvaru RRRR-MM-DD", param, ctx)


class OutputProblem(click.ClickException):
    """An output (or a file) that cannot be written: „Chyba: …“ in Czech, exit code 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"Chyba: {self.format_message()}", err=True, file=file)
        _drop_failed_writers(self)


def _drop_failed_writers(exc: BaseException) -> None:
    """Let go of the failed write (its traceback holds the half-written zip of xlsxwriter or
    openpyxl) without the zip trying — and failing — to finish itself on a full disk with
    an „Exception ignored“ traceback on the terminal."""
    import gc
    import sys

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        exc.__context__ = exc.__cause__ = None
        exc.__traceback__ = None
        gc.collect()
    finally:
        sys.unraisablehook = hook


def output_problem(exc: BaseException) -> OutputProblem:
    """``OutputError`` or a bare ``OSError`` as the Czech CLI error (no traceback)."""
    from xlkpss.fsutil import OutputError

    if isinstance(exc, OutputError):
        return OutputProblem(exc.message())
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        if name:
            reading = exc.errno in (errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR)
            return OutputProblem(OutputError.from_os_error(exc, os.fsdecode(name), reading=reading).message())
        # no file named: the disk (or the terminal) refused a write
        return OutputProblem(OutputError.from_os_error(exc, Path("výstup")).message())
    return OutputProblem(str(exc))


class OutputPath(click.Path):
    """The type of every option that names something xlkpss writes.

    It checks before any work that the output can be written (the folder exists and is
    writable, no folder in the way, the name is not too long) and stops with one Czech
    sentence and exit code 1 otherwise; the write itself goes through
    ``xlkpss.fsutil.atomic_path``.  ``folder=True``: an output folder (created if missing).
    A test checks that every command option writing files uses this type.
    """

    name = "output"

    def __init__(self, *, folder: bool = False) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder, path_type=Path)
        self.folder = folder

    def convert(self, value, param, ctx):
        from xlkpss.fsutil import OutputError, check_output

        path = value if isinstance(value, Path) else Path(os.fsdecode(value))
        try:
            return check_output(path, folder=self.folder)
        except OutputError as exc:
            raise output_problem(exc) from None


def open_consolidated(workbook: Path):
    """Read a consolidated workbook or stop with a clear Czech message (exit 1)."""
    from xlkpss.merge.workbook import ConsolidatedReadError, read_consolidated

    try:
        return read_consolidated(workbook)
    except ConsolidatedReadError as exc:
        raise click.ClickException(str(exc)) from None
    except (ValueError, KeyError, OSError) as exc:
        raise click.ClickException(f"{workbook}: není to souhrnný sešit xlkpss ({exc})") from None


def warn_folder_changes(paths, files, quiet: bool = False, *, exclude=()) -> tuple[list[Path], list[Path]]:
    """Tell the user when an input folder changed while it was being read (stderr).

    ``files`` is what was listed (and read); a file added since was not read, a file
    removed since is reported in the results as not found.  Returns (added, removed).
    """
    from xlkpss.fsutil import resolve_paths
    from xlkpss.validate.engine import collect_paths

    folders = [Path(p) for p in paths if Path(p).is_dir()]
    if not folders:
        return [], []
    files = [Path(p) for p in files]
    files_resolved = resolve_paths(files)
    listed = {*files_resolved, *resolve_paths(e for e in exclude if e is not None)}
    now = collect_paths(folders)
    now_resolved = resolve_paths(now)
    now_set = set(now_resolved)
    added = [p for p, r in zip(now, now_resolved) if r not in listed]
    roots = resolve_paths(folders)
    removed = [p for p, r in zip(files, files_resolved) if r not in now_set and any(r.is_relative_to(f) for f in roots)]
    if not quiet:
        for p in added:
            click.echo(f"Pozor: soubor {p} přibyl až během zpracování a nebyl zpracován; spusťte příkaz znovu.", err=True)
        for p in removed:
            click.echo(f"Pozor: soubor {p} zmizel během zpracování; ve výsledku je uveden tak, jak se (ne)podařilo přečíst.", err=True)
    return added, removed
