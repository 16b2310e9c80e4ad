"""What the inputs say when the options do not: the merge level their consolidated
workbooks call for, and the territory and the year when unique (``MergeError`` otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlkpss.codelists import STATE, Territory, municipalities, orps, regions
from xlkpss.collate import czech_key
from xlkpss.i18n import FILES, plural_cs
from xlkpss.merge.clean import clean_value
from xlkpss.merge.model import Consolidated
from xlkpss.merge.rules import SUMMARY_INTO, MergeError

__all__ = ["infer_territory", "infer_year", "level_of_inputs"]


def _file_list(paths: Sequence[Path], shown: int = 5) -> str:
    """``a.xlsx, b.xlsx`` or ``a.xlsx, … e.xlsx a dalších 5 souborů``"""
    names = ", ".join(p.name for p in paths[:shown])
    more = len(paths) - shown
    if more <= 0:
        return names
    return f"{names} a {'další' if more < 5 else 'dalších'} {plural_cs(more, FILES)}"


def level_of_inputs(summaries: Sequence[Consolidated], paths: Sequence[Path]) -> str:
    """The merge level the consolidated workbooks among the inputs call for: ORP workbooks
    → kraj, regional workbooks → stat; no workbook → orp."""
    levels = {str(c.meta.get("level") or "") for c in summaries}
    into = {SUMMARY_INTO[lv] for lv in levels if lv in SUMMARY_INTO}
    if len(into) > 1:
        raise MergeError(
            "mezi vstupy jsou souhrny ORP i souhrny krajů; zvolte úroveň: --level kraj (souhrny ORP do souhrnu kraje) "
            "nebo --level stat (souhrny krajů do souhrnu za Českou republiku)"
        )
    if into:
        return into.pop()
    if summaries:
        national = [p for c, p in zip(summaries, paths) if str(c.meta.get("level") or "") == "stat"]
        if national and len(national) == len(summaries):
            raise MergeError(
                f"{_file_list(national)}: souhrn za Českou republiku je nejvyšší úroveň, dále ho slučovat nelze"
            )
        return "kraj"
    return "orp"


def _inputs_of_level(
    level: str | None, results: Sequence[Any], summaries: Sequence[Consolidated]
) -> tuple[Sequence[Any], Sequence[Consolidated]]:
    """The inputs a merge of ``level`` takes (filled templates for an ORP merge, workbooks
    otherwise): the others are left out with a line, so they must not decide the
    territory or the year — an old workbook in the folder never aborts the merge."""
    if level == "orp" and results:
        return results, ()
    if level in ("kraj", "stat") and summaries:
        return (), summaries
    return results, summaries


def _summary_name(c: Consolidated) -> str:
    return Path(str(c.meta.get("source_path") or c.meta.get("file") or "souhrn")).name


def _groups_text(groups: dict[str, list[str]]) -> str:
    """„2025: obec_x.xlsx; 2026: 11 souborů“: the groups with the fewest files first — the
    stray ones to look at — naming the files of a group of up to three."""
    order = sorted(groups.items(), key=lambda kv: (len(kv[1]), czech_key(kv[0])))
    return "; ".join(
        f"{what}: " + (", ".join(sorted(files, key=czech_key)) if len(files) <= 3 else plural_cs(len(files), FILES))
        for what, files in order
    )


def infer_territory(level: str, results: Sequence[Any], summaries: Sequence[Consolidated]) -> Territory:
    """The ORP / kraj of the files when it is unique (obce and ORP files first, then
    providers); for a national merge the Czech Republic."""
    from xlkpss.codelists import territory as make_territory

    if level == "stat":
        return STATE
    primary: dict[str, list[str]] = {}  # territory code -> the names of its files
    fallback: dict[str, list[str]] = {}
    results, summaries = _inputs_of_level(level, results, summaries)
    for r in results:
        if r.rejected or not r.ident:
            continue
        ident = r.ident
        orp = clean_value(ident.get("kod_orp"))
        obec = clean_value(ident.get("kod_obce"))
        if obec and str(obec) in municipalities():
            orp = municipalities()[str(obec)].orp
        if not orp or str(orp) not in orps():
            continue
        code = str(orp) if level == "orp" else orps()[str(orp)]["kod_kraje"]
        group = primary if ident.get("typ_predkladatele") in ("obec", "orp") else fallback
        group.setdefault(code, []).append(Path(r.path).name)
    for c in summaries:
        code = str(c.meta.get("territory_code") or "")
        if code in orps():
            primary.setdefault(code if level == "orp" else orps()[code]["kod_kraje"], []).append(_summary_name(c))
    found = primary or fallback
    what = "ORP" if level == "orp" else "kraj"
    option = f"--{level}"
    if not found:
        raise MergeError(f"z dodaných souborů nelze určit {what}; zadejte ho volbou {option} KÓD")
    if len(found) > 1:
        named = {
            (f"{orps()[c]['nazev_orp']} ({c})" if level == "orp" else f"{regions()[c]['nazev_kraje']} ({c})"): files
            for c, files in found.items()
        }
        raise MergeError(f"soubory jsou z více území ({_groups_text(named)}); zadejte slučované území volbou {option} KÓD")
    code = next(iter(found))
    return make_territory(orp=code) if level == "orp" else make_territory(kraj=code)


def infer_year(results: Sequence[Any], summaries: Sequence[Consolidated], level: str | None = None) -> int:
    """The year of the usable files when it is unique; ``MergeError`` otherwise (only the
    inputs the merge of ``level`` takes count, see ``_inputs_of_level``)."""
    results, summaries = _inputs_of_level(level, results, summaries)
    files_of: dict[int, list[str]] = {}  # year -> the names of its files
    for r in results:
        if not r.rejected and r.ident and clean_value(r.ident.get("rok")):
            files_of.setdefault(int(clean_value(r.ident.get("rok"))), []).append(Path(r.path).name)
    for c in summaries:
        y = clean_value(c.meta.get("year"))
        if y:
            files_of.setdefault(int(y), []).append(_summary_name(c))
    if not files_of:
        raise MergeError("z dodaných souborů nelze určit rok; zadejte ho volbou --year RRRR")
    if len(files_of) > 1:
        by_year = {str(year): names for year, names in sorted(files_of.items())}
        raise MergeError(f"soubory jsou za více let ({_groups_text(by_year)}); zadejte slučovaný rok volbou --year RRRR")
    return next(iter(files_of))
