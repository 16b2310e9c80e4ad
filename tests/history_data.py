"""Multi-year consolidated workbooks made from the samples (shared by the history,
export and trend-page tests).

The samples are one year (2026).  Earlier years are made the way a real office gets
them: the same submissions with the year changed on Identifikace (rok, datum vyplnění)
and some figures different (capacities, costs, a service that did not exist yet),
validated and merged for real — so every table of each workbook is consistent.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from xlkpss.spec import get_template

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ORP_SAMPLES = {"4203": SAMPLES / "orp_4203_chomutov", "4204": SAMPLES / "orp_4204_kadan"}
GENERATED = {2024: "2025-04-01", 2025: "2026-03-20", 2026: "2027-04-01"}


def _label_row(ws, label: str) -> int | None:
    for row in ws.iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if isinstance(cell.value, str) and cell.value.strip() == label:
            return cell.row
    return None


def shift_submission(src: Path, dst: Path, year: int, *, capacity_factor: float = 1.0, costs_factor: float = 1.0,
                     drop_identifiers: frozenset[str] = frozenset()) -> Path:
    """A copy of a filled sample submission for ``year``: rok and datum vyplnění moved,
    capacities and costs scaled (rounded), rows of ``drop_identifiers`` removed."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    kind = "plan" if "plan" in src.name else "sluzby"
    t = get_template(kind)
    ident = t.sheet("identifikace")
    ws = wb[ident.name]
    shift = year - 2026
    for key in ("rok", "datum_vyplneni"):
        r = _label_row(ws, ident.field(key).label)
        if r is None:
            continue
        v = ws.cell(r, 2).value
        if key == "rok":
            ws.cell(r, 2, year)
        elif isinstance(v, (dt.date, dt.datetime)):
            ws.cell(r, 2, v.replace(year=v.year + shift))
    if kind == "sluzby":
        s = t.sheet("sluzby")
        ws = wb[s.name]
        header = [c.value for c in ws[1]]
        col = {f.key: header.index(f.label) + 1 for f in s.fields if f.label in header}
        money = [f.key for f in s.fields if f.type == "money"]
        for r in range(ws.max_row, 1, -1):
            ident_value = ws.cell(r, col["identifikator"]).value
            if ident_value is not None and str(ident_value) in drop_identifiers:
                ws.delete_rows(r)
                continue
            cap = ws.cell(r, col["kapacita"]).value
            if isinstance(cap, (int, float)):
                ws.cell(r, col["kapacita"], round(cap * capacity_factor))
            if costs_factor != 1.0:
                for k in money:
                    v = ws.cell(r, col[k]).value
                    if isinstance(v, (int, float)):
                        ws.cell(r, col[k], round(v * costs_factor))
    wb.save(dst)
    return dst


@dataclass(frozen=True)
class History:
    """Consolidated workbooks: ``orp[(code, year)]``, ``kraj[year]``, and ``replacement``
    (a later re-merge of ORP Chomutov 2026 with one capacity changed)."""

    folder: Path
    orp: dict[tuple[str, int], Path]
    kraj: dict[int, Path]
    replacement: Path




def merge_folder(folder: Path, orp: str, year: int, out: Path, generated: str) -> Path:
    from xlkpss.codelists import territory
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import write_consolidated

    c = merge_paths([folder], level="orp", territory=territory(orp=orp), year=year, generated=generated)
    return write_consolidated(c, out)


@lru_cache(maxsize=1)
def history_workbooks() -> History:
    """ORP Chomutov and Kadaň for 2024–2026, the Ústecký kraj for 2025 and 2026 (from the
    ORP workbooks), and a replacement of Chomutov 2026; made once per test session."""
    from xlkpss.codelists import territory
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import write_consolidated

    out = Path(tempfile.mkdtemp(prefix="xlkpss-history-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    orp: dict[tuple[str, int], Path] = {}
    # 2024: 20 % less capacity, 15 % lower costs; 2025: Chomutov's first service missing (a year without it)
    variants = {2024: (0.8, 0.85, False), 2025: (0.9, 0.95, True), 2026: (1.0, 1.0, False)}
    first = _first_identifier(ORP_SAMPLES["4203"])
    for code, src in ORP_SAMPLES.items():
        for year, (cap, costs, drop) in variants.items():
            if year == 2026:
                folder = src
            else:
                folder = out / f"in_{code}_{year}"
                folder.mkdir()
                for f in sorted(src.glob("*.xlsx")):
                    shift_submission(f, folder / f.name.replace("2026", str(year)), year, capacity_factor=cap,
                                     costs_factor=costs, drop_identifiers=frozenset({first}) if drop and code == "4203" else frozenset())
            orp[(code, year)] = merge_folder(folder, code, year, out / f"souhrn_orp_{code}_{year}.xlsx", GENERATED[year])
    kraj = {}
    for year in (2025, 2026):
        c = merge_paths([orp[("4203", year)], orp[("4204", year)]], level="kraj", territory=territory(kraj="CZ042"),
                        year=year, generated=GENERATED[year])
        kraj[year] = write_consolidated(c, out / f"souhrn_kraj_CZ042_{year}.xlsx")
    # a re-merge of Chomutov 2026 a month later: Březno's first service with +10 capacity
    again = out / "in_4203_2026_again"
    shutil.copytree(ORP_SAMPLES["4203"], again)
    _bump_first_capacity(again / "obec_563013_brezno_sluzby_2026.xlsx", 10)
    replacement = merge_folder(again, "4203", 2026, out / "replacement" / "souhrn_orp_4203_2026.xlsx", "2027-05-02")
    return History(out, orp, kraj, replacement)


def _first_identifier(folder: Path) -> str:
    """The identifikátor of the first service row of Chomutov's own file."""
    import openpyxl

    s = get_template("sluzby").sheet("sluzby")
    wb = openpyxl.load_workbook(folder / "obec_562971_chomutov_sluzby_2026.xlsx", read_only=True)
    ws = wb[s.name]
    rows = ws.iter_rows(min_row=1, max_row=2, values_only=True)
    header = list(next(rows))
    value = next(rows)[header.index(s.field("identifikator").label)]
    wb.close()
    return str(value)


def _bump_first_capacity(path: Path, by: int) -> None:
    import openpyxl

    s = get_template("sluzby").sheet("sluzby")
    wb = openpyxl.load_workbook(path)
    ws = wb[s.name]
    header = [c.value for c in ws[1]]
    col = header.index(s.field("kapacita").label) + 1
    ws.cell(2, col, ws.cell(2, col).value + by)
    wb.save(path)
