"""The merge's fixed vocabulary: its levels and which consolidated workbook goes into which
merge, the codes and reasons of the lines it adds to Chyby, the service types whose absence
is highlighted, and ``MergeError`` (the merge cannot continue)."""

from __future__ import annotations

from collections.abc import Iterable

from xlkpss.codelists import codelist
from xlkpss.spec import load_spec

__all__ = [
    "DEFAULT_THRESHOLD",
    "FILE_ERROR_KEPT",
    "ROW_ERROR_KEPT",
    "LEVELS",
    "MERGE_CODES",
    "MERGE_INPUT_TABLES",
    "SUMMARY_INTO",
    "SUMMARY_TYPE",
    "VIA_SEPARATOR",
    "MergeError",
    "MergeUsageError",
    "core_service_codes",
]


#: the sheets of a consolidated workbook that a merge of the next level reads (the
#: derived sheets it computes anew)
MERGE_INPUT_TABLES = ("submissions", "services", "activities", "projects", "errors", "conflicts")


LEVELS = ("orp", "kraj", "stat")


#: the merge level a consolidated workbook of each level goes into
SUMMARY_INTO = {"orp": "kraj", "kraj": "stat"}


#: submitter type (and kind key) of a consolidated workbook of each level
SUMMARY_TYPE = {"orp": "souhrn", "kraj": "souhrn_kraje", "stat": "souhrn_statu"}


#: separator of the workbooks in ``via`` (innermost first)
VIA_SEPARATOR = " → "


DEFAULT_THRESHOLD = 30.0


#: codes of the lines the merge adds to Chyby (validation issues keep their own codes)
MERGE_CODES: dict[str, str] = {
    "superseded": "Nahrazeno novějším souborem",
    "file-rejected": "Soubor odmítnut",
    "outside-merge-territory": "Mimo slučované území",
    "year-mismatch": "Jiný rok",
    "duplicate-service": "Služba hlášena vícekrát",
    "duplicate-row": "Řádek už sloučen z jiného souhrnu",
    "summary-level": "Souhrn nelze sloučit na této úrovni",
    "submission-level": "Šablona patří do souhrnu ORP",
    "network-input": "Krajská síť mezi vstupy",
}


#: reason in Chyby of an error that keeps the file's rows (e.g. a wrong e-mail on Identifikace)
FILE_ERROR_KEPT = "chyba v souboru, řádky sloučeny"
#: … and of an error in a table row that keeps its row (a structural problem of the plan tree)
ROW_ERROR_KEPT = "chyba v řádku, řádek sloučen"


class MergeError(Exception):
    """The merge cannot continue (the message is Czech and says what to do)."""


class MergeUsageError(MergeError):
    """The inputs and options do not say which merge is meant (the CLI exits with 2)."""


def core_service_codes(values: Iterable[str] | None = None) -> list[str]:
    """Service types whose absence is highlighted: MPSV codes, § numbers or names
    (``4``, ``§40``, ``pečovatelská služba``); default: spec.toml ``[gaps] core_services``."""
    raw = list(values) if values is not None else list(load_spec().gaps.get("core_services", []))
    druhy = codelist("druhy_sluzeb")
    out: list[str] = []
    bad: list[str] = []
    for v in raw:
        text = str(v).strip()
        if not text:
            continue
        item = druhy.resolve(text)
        if item is None:
            bad.append(text)
        elif item.code not in out:
            out.append(item.code)
    if bad:
        raise MergeError(
            "neznámý druh služby v seznamu základních služeb: "
            + ", ".join(bad)
            + " (uveďte kód MPSV, paragraf nebo název, např. 4, §40 nebo Pečovatelská služba)"
        )
    return out
