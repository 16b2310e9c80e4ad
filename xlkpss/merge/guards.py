"""Guards against workflow mistakes of a coordinator (the words the merge says about them).

* an input of another level (a consolidated workbook in an ORP merge, a filled template
  in a regional or national merge, an earlier output of the same territory) is left out
  with a line naming the file and what to do — never a silent change of level, never an
  abort of the other files;
* templates and consolidated workbooks mixed without ``--level`` (or a territory) is a
  usage error listing both groups;
* a merge in which not a single row falls inside the territory is an error naming the
  territory the files do belong to (a wrong ``--orp`` / ``--kraj``);
* last year's workbook (``--previous``) of another territory, or of this year or a later
  one, is an error saying which workbook is wanted.

Plain data in, Czech sentences out: ``acceptance`` and ``consolidate`` decide, this module words it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from xlkpss.i18n import FILES, plural_cs

__all__ = [
    "left_out_note",
    "mixed_inputs_message",
    "network_input_note",
    "nothing_left_message",
    "previous_mismatch_message",
    "submission_note",
    "wrong_territory_message",
    "wrong_year_message",
]

#: the option naming the territory of each merge level
OPTION = {"orp": "--orp", "kraj": "--kraj", "stat": "--level stat"}


def _names(paths: Sequence[Path], shown: int = 6) -> str:
    names = ", ".join(Path(p).name for p in paths[:shown])
    more = len(paths) - shown
    return names if more <= 0 else f"{names} a {'další' if more < 5 else 'dalších'} {plural_cs(more, FILES)}"


def mixed_inputs_message(templates: Sequence[Path], summaries: Sequence[Path]) -> str:
    """Filled templates and consolidated workbooks among the inputs, no level given."""
    return (
        "mezi vstupy jsou vyplněné šablony i souhrnné sešity; nevím, který souhrn chcete vytvořit.\n"
        f"  vyplněné šablony ({plural_cs(len(templates), FILES)}): {_names(templates)}\n"
        f"  souhrnné sešity ({plural_cs(len(summaries), FILES)}): {_names(summaries)}\n"
        "Souhrn ORP ze šablon: zadejte --orp KÓD (souhrnné sešity se vynechají); souhrn kraje ze souhrnů ORP: "
        "--kraj KÓD nebo --level kraj, souhrn za Českou republiku ze souhrnů krajů: --level stat (šablony se pak "
        "vynechají, patří do souhrnu ORP). Nejjednodušší je dát každý druh do vlastní složky."
    )


def left_out_note(summary_level: str, level: str, *, same_territory: bool) -> str:
    """Why a consolidated workbook of ``summary_level`` is left out of a merge of ``level``
    and what to do (a line of Odevzdání and Chyby, printed by the CLI)."""
    if same_territory and summary_level == level and level != "stat":
        return (
            "dřívější výstup slučování téhož území; do souhrnu se nezapočte – vyjměte ho ze vstupní složky "
            "nebo ho uložte jinam"
        )
    if summary_level == "stat":
        return "souhrn za Českou republiku je nejvyšší úroveň, dále ho slučovat nelze; vyjměte ho ze vstupů"
    if summary_level == "kraj":
        return (
            "souhrn kraje patří do souhrnu za Českou republiku (--level stat); vyjměte ho ze vstupů "
            "nebo slučujte s --level stat"
        )
    if summary_level == "orp":
        if level == "stat":
            return (
                "souhrn ORP patří do souhrnu kraje (--level kraj); do souhrnu za Českou republiku patří souhrny krajů"
            )
        return (
            "souhrn ORP patří do souhrnu kraje (--kraj KÓD); do souhrnu ORP se slučují vyplněné šablony – "
            "vyjměte ho ze vstupní složky"
        )
    return f"souhrn neznámé úrovně {summary_level!r} nelze sloučit; vyjměte ho ze vstupů"


def submission_note(level: str) -> tuple[str, str]:
    """(note, message) for a filled template given to a regional or national merge."""
    where = "souhrnu kraje" if level == "kraj" else "souhrnu za Českou republiku"
    below = "souhrny ORP" if level == "kraj" else "souhrny krajů"
    note = (
        f"vyplněná šablona patří do souhrnu ORP (xlkpss merge SLOŽKA --orp KÓD); do {where} patří jen {below} – "
        "vyjměte ji ze vstupů"
    )
    message = (
        "Vyplněná šablona se slučuje do souhrnu ORP (xlkpss merge … --orp KÓD), ten do souhrnu kraje; "
        f"do {where} patří jen {below}. Soubor nebyl sloučen."
    )
    return note, message


def network_input_note() -> str:
    """A filled network template (template sit) among the merge inputs."""
    return (
        "krajská síť sociálních služeb se neslučuje se službami, porovnává se s nimi: vyjměte ji ze vstupů "
        "a zadejte ji volbou --network SOUBOR"
    )


def nothing_left_message(left_out: Iterable[tuple[str, str]]) -> str:
    """Every input was left out by a guard: nothing to merge."""
    lines = [f"  {name}: {note}" for name, note in left_out]
    return "žádný vstup nepatří do tohoto souhrnu, souhrn nebyl vytvořen:\n" + "\n".join(lines)


def wrong_territory_message(level: str, territory_text: str, homes: Sequence[str]) -> str:
    """No row falls inside the merged territory; ``homes`` are the territories the files
    belong to (``ORP Chomutov (4203)``)."""
    option = OPTION.get(level, "--orp")
    if not homes:
        return (
            f"v území {territory_text} neleží ani jeden řádek dodaných souborů; souhrn nebyl vytvořen – "
            f"zkontrolujte {option}"
        )
    if len(homes) > 1:
        first = "soubory jsou z území "
    else:  # „z ORP Chomutov (4203)“; a kraj's name does not decline after „z“: „z území …“
        first = "všechny soubory jsou z " if homes[0].startswith("ORP ") else "všechny soubory jsou z území "
    return (
        f"v území {territory_text} neleží ani jeden řádek dodaných souborů; souhrn nebyl vytvořen: "
        f"{first}{', '.join(homes)} – nezadali jste špatné {option}?"
    )


def wrong_year_message(year: int, years: Sequence[int]) -> str:
    """No file with rows is of the merged ``year``; ``years``: the years they are of."""
    of = "za rok " + str(years[0]) if len(years) == 1 else "za roky " + ", ".join(map(str, years))
    return (
        f"ani jeden soubor s řádky není za rok {year}; souhrn nebyl vytvořen: soubory jsou {of} – "
        "nezadali jste špatné --year?"
    )


def previous_mismatch_message(name: str, meta: dict, level: str, code: str, territory: str, year: int) -> str | None:
    """Why the workbook ``name`` (its ``meta``) cannot be last year's of the merge of
    ``territory`` (``level``, ``code``) for ``year``; None when it can.  Given this year's
    workbook, every service would count as „expected from last year“ and reported (100 %);
    given another territory's, none would, and every service would be „new“."""
    prev_level, prev_code = meta.get("level"), str(meta.get("territory_code") or "")
    prev_year = meta.get("year")
    if prev_level != level or (level != "stat" and prev_code != code):
        where = str(meta.get("territory_name") or prev_code or "jiné území")
        label = {"orp": "ORP ", "kraj": ""}.get(str(prev_level), "")
        return (
            f"--previous: {name} je souhrn za {label}{where}{f' ({prev_code})' if prev_code else ''}, slučuje se "
            f"{territory}; zadejte loňský souhrn téhož území"
        )
    try:
        prev_year = int(prev_year)
    except (TypeError, ValueError):
        return None
    if prev_year >= year:
        return (
            f"--previous: {name} je souhrn za rok {prev_year}, slučuje se rok {year}; zadejte souhrn za dřívější rok "
            f"(loňský: {year - 1})"
        )
    return None
