"""The source model: one ``Source`` per input file — a submission or a consolidated
workbook — with its identity (kind, submitter, year), its date and level and, as the merge
proceeds, its status and row counts; ``make_sources`` makes them from the inputs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.codelists import STATE, normalize_key, orps, regions
from xlkpss.fsutil import resolve_paths
from xlkpss.merge.cells import date_ordinal, num, parse_iso
from xlkpss.merge.clean import clean_value
from xlkpss.merge.model import SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.merge.rules import SUMMARY_TYPE

__all__ = ["NO_SERVICES_KEY", "Source", "declares_no_services", "make_sources"]


@dataclass
class Source:
    """One input file — a submission or a consolidated workbook — and what became of it."""

    path: Path
    name: str
    sha256: str
    mtime: float
    kind: str  # "sluzby" | "plan" | "souhrn" | "" (not recognised)
    result: Any = None  # FileResult for a submission
    summary: Consolidated | None = None  # for a consolidated workbook
    ident: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    note: str = ""
    unit: str | None = None  # code of the expected submitter this file counts for
    errors: int = 0
    warnings: int = 0
    rows_read: int = 0
    rows_merged: int = 0
    rows_excluded: int = 0
    superseded_by: Source | None = None
    #: left out by a workflow guard (an input of another level, an earlier output)
    left_out: bool = False

    # --- identification -------------------------------------------------------------
    @property
    def summary_level(self) -> str | None:
        """Level of a consolidated workbook (``orp``, ``kraj``, ``stat``); None for a submission."""
        return self.ident.get("summary_level") if self.kind == "souhrn" else None

    @property
    def submitter_type(self) -> str | None:
        if self.kind == "souhrn":
            return SUMMARY_TYPE.get(self.ident.get("summary_level") or "", "souhrn")
        return self.ident.get("typ_predkladatele")

    @property
    def kind_key(self) -> str:
        """Key of ``KIND_LABELS``: the file kind, for a consolidated workbook by its level."""
        if self.kind == "souhrn":
            return self.submitter_type or "souhrn"
        return self.kind

    @property
    def submitter_code(self) -> str | None:
        if self.kind == "souhrn":
            return str(self.ident.get("territory_code") or "") or None
        if self.submitter_type == "poskytovatel":
            return self.ident.get("ico")
        return self.ident.get("kod_obce") or self.ident.get("ico")

    @property
    def identity(self) -> tuple | None:
        code = self.submitter_code
        if not self.kind or not self.submitter_type or not code or not self.ident.get("rok"):
            return None
        return (self.kind, self.submitter_type, code, self.ident.get("rok"))

    @property
    def submitter_name(self) -> str:
        name = self.ident.get("nazev")
        if name:
            return str(name)
        if self.kind == "souhrn":
            return str(self.ident.get("territory_code") or self.path.stem)
        return self.path.stem

    @property
    def submitter(self) -> str:
        """``Město Jirkov (obec 563099)``, ``Charita Kadaň (poskytovatel, IČO 12345678)``."""
        typ = self.submitter_type
        code = self.submitter_code
        if typ == "poskytovatel":
            return (
                f"{self.submitter_name} (poskytovatel, IČO {code})" if code else f"{self.submitter_name} (poskytovatel)"
            )
        if self.kind == "souhrn":
            return f"{self.submitter_name} (souhrn)"
        if typ:
            word = SUBMITTER_TYPE_LABELS.get(typ, typ)
            return f"{self.submitter_name} ({word} {code})" if code else f"{self.submitter_name} ({word})"
        return self.submitter_name

    @property
    def date_filled(self) -> Any:
        return self.ident.get("datum_vyplneni")

    def newer_key(self) -> tuple:
        """Sort key: larger = newer (date filled, then file time, then name for determinism)."""
        return (date_ordinal(self.date_filled), self.mtime, self.name)


def _display_names(paths: Sequence[Path]) -> dict[Path, str]:
    """Names shown in the workbook: relative to the common folder of all inputs."""
    if not paths:
        return {}
    from xlkpss.read.archives import as_given

    resolved = resolve_paths([as_given(p) for p in paths])  # a file from a ZIP: beside the ZIP
    try:
        root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    except ValueError:  # different drives (Windows)
        return {Path(p): Path(p).name for p in paths}
    return {Path(p): r.relative_to(root).as_posix() for p, r in zip(paths, resolved)}


def make_sources(results: Sequence[Any], summaries: Sequence[Consolidated]) -> list[Source]:
    paths = [Path(r.path) for r in results] + [
        Path(s.meta.get("source_path") or s.meta.get("file") or "souhrn.xlsx") for s in summaries
    ]
    names = _display_names(paths)
    out: list[Source] = []
    for r in results:
        p = Path(r.path)
        src = Source(
            path=p,
            name=names.get(p, p.name),
            sha256=r.sha256 or "",
            mtime=float(r.mtime or 0.0),
            kind=r.kind or "",
            result=r,
        )
        src.ident = {k: clean_value(v) for k, v in (r.ident or {}).items()}
        src.errors, src.warnings = len(r.errors), len(r.warnings)
        src.rows_read = int(r.rows)
        out.append(src)
    for c in summaries:
        p = Path(c.meta.get("source_path") or c.meta.get("file") or "souhrn.xlsx")
        src = Source(
            path=p,
            name=names.get(p, p.name),
            sha256=str(c.meta.get("sha256") or ""),
            mtime=float(c.meta.get("mtime") or 0.0),
            kind="souhrn",
            summary=c,
        )
        src.ident = _summary_ident(c)
        src.errors = len(c.table("errors"))
        src.warnings = int(
            sum(
                num(v) or 0
                for v in (c.table("submissions").get("warnings", []) if len(c.table("submissions")) else [])
            )
        )
        src.rows_read = len(c.table("services")) + len(c.table("activities")) + len(c.table("projects"))
        out.append(src)
    out.sort(key=lambda s: (s.name, s.sha256))
    return out


def _summary_ident(c: Consolidated) -> dict[str, Any]:
    """What identifies a consolidated workbook as an input: its level, territory and year."""
    level = str(c.meta.get("level") or "")
    code = str(c.meta.get("territory_code") or "")
    name = str(c.meta.get("territory_name") or code)
    ident: dict[str, Any] = {
        "summary_level": level,
        "territory_code": code,
        "rok": clean_value(c.meta.get("year")),
        "datum_vyplneni": parse_iso(c.meta.get("generated")),
    }
    if level == "kraj":
        k = regions().get(code)
        name = k["nazev_kraje"] if k else name
        ident.update(kod_kraje=code, nazev_kraje=name, nazev=name)
    elif level == "stat":
        ident.update(nazev=name or STATE.name)
    else:
        o = orps().get(code)
        ident.update(
            kod_orp=code,
            nazev_orp=o["nazev_orp"] if o else c.meta.get("territory_name"),
            kod_kraje=o["kod_kraje"] if o else None,
            nazev=f"ORP {o['nazev_orp']}" if o else name,
        )
    return ident


#: Identifikace key of "Na území nepůsobí žádná služba" (ano / ne), read defensively:
#: a spec without it, or an older file, simply has no such value
NO_SERVICES_KEY = "bez_sluzeb"


def declares_no_services(src: Source) -> bool:
    """The services file says, on Identifikace, that no service works in its territory."""
    if src.kind != "sluzby":
        return False
    value = src.ident.get(NO_SERVICES_KEY)
    if isinstance(value, bool):
        return value
    return normalize_key(value) in ("ano", "a", "yes", "true", "1") if value is not None else False
