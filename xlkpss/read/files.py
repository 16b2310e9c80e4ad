"""Untrusted spreadsheet intake: :func:`read_workbook` decides what a file is, refuses what
is unsafe and reads it with the engine that fits.

Every submission arrives from outside (e-mail attachments, uploads), so nothing about a
file is trusted: not its extension, not the sizes its zip directory declares, not its
XML.  The order of work, one module each:

1. :mod:`xlkpss.read.sniff` — look at the bytes (zip / OLE2 / text), never at the
   extension, and turn everything that is not a workbook we read into a
   :class:`ReadError` with an issue code a person understands (``file-not-spreadsheet``
   "dokument Word", …);
2. :mod:`xlkpss.read.safety` — before any parser sees a zip: file size, declared
   uncompressed size, compression ratio (decompression bombs) and a DTD in any XML part
   (XXE, "billion laughs") — see :class:`~xlkpss.read.safety.ReadLimits`;
3. parse with python-calamine (:mod:`xlkpss.read.engine_calamine`, fast default) or
   openpyxl (:mod:`xlkpss.read.engine_openpyxl`, reference, xlsx/xlsm only), then
   normalise every value (:mod:`xlkpss.read.normalise`) to the contract in
   :mod:`xlkpss.read.model`, so that both engines return *identical*
   :class:`RawWorkbook` objects for the same xlsx file.

Calamine cannot see formula errors (it returns ``''`` for them), so for xlsx/xlsm the
error cells are read from the sheet XML, for ods from ``content.xml`` and for xls with
xlrd (:mod:`xlkpss.read.engine_xlrd_ods`).  Whatever a parser raises becomes a
``ReadError`` (:mod:`xlkpss.read.failures`).

This module parses in-process.  Crafted files can still make a parser hang or eat
gigabytes (python-calamine on a 1 KB ``.xls`` with a sector loop), so callers reading
uploads go through :mod:`xlkpss.read.sandbox`, which runs this code in child processes
with a time and memory limit.
"""

from __future__ import annotations

from pathlib import Path

from xlkpss.read.engine_calamine import read_calamine
from xlkpss.read.engine_openpyxl import read_openpyxl
from xlkpss.read.failures import as_read_errors
from xlkpss.read.model import RawWorkbook
from xlkpss.read.safety import DEFAULT_LIMITS, ReadLimits
from xlkpss.read.sniff import probe_file

__all__ = ["ENGINES", "read_workbook"]

ENGINES = ("calamine", "openpyxl")


def read_workbook(
    path: str | Path, engine: str = "calamine", limits: ReadLimits | None = None, *, lazy: bool = False,
    data: bytes | None = None,
) -> RawWorkbook:
    """Read an untrusted workbook into a normalised :class:`RawWorkbook`.

    ``engine`` "calamine" (default, fast, xlsx/xlsm/xls/ods) or "openpyxl" (reference,
    xlsx/xlsm; other formats and Strict OOXML fall back to calamine).  Never raises
    anything but :class:`ReadError`.  Runs in-process: use
    :func:`xlkpss.read.sandbox.read_safely` for a time and memory limit.

    ``lazy=True`` (calamine, xlsx/xlsm): every sheet is listed, but its cells are parsed
    only when ``rows`` or ``errors`` is first used — validation never touches the
    hidden list of 6,258 obce or the instructions.  The values are the same as eager
    reading; a sheet that cannot be parsed raises :class:`ReadError` at that first use,
    so a broken sheet nobody reads no longer rejects the file.  Pickling a lazy
    workbook loads everything first.

    ``data``: the file's bytes, if the caller has read them (``parse_file`` hashes them),
    so that the file is read from disk once; used only while the file still has that size.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    with as_read_errors():
        probe = probe_file(path, limits, data)
        if engine == "openpyxl" and probe.format in ("xlsx", "xlsm") and not probe.strict:
            wb = read_openpyxl(path, probe, limits)
        else:
            wb = read_calamine(path, probe, limits, lazy=lazy)
    return wb
