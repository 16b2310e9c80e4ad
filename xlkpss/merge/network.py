"""The regional network of services (krajská síť sociálních služeb) against what was reported.

A kraj funds the services of its *network*: which registered services, in which form
and ORP, with how many units (capacity in beds / clients / … and direct-care FTE).  The
network is a filled template of kind ``sit`` (``xlkpss template sit``, fields in
``spec.toml`` ``[sheets.sit]``); ``read_network`` validates it like any submission and
refuses it (``NetworkError``, a Czech sentence) when it has an error that would make the
comparison wrong.  ``compare`` adds to a consolidated data set the sheet *Síť vs
skutečnost* (key ``network``) and ``meta["network"]`` (the counts):

* one row per service (``row_kind`` „služba“) and ORP: matched by identifikátor + forma
  + ORP — *shoda*, *liší se* (capacity, capacity type, FTE, type or provider IČO differ;
  the note says what), *v síti, nehlášena*, *hlášena, mimo síť* (a registered service
  reported in the territory but not in the network), *hlášena v jiném ORP, než uvádí
  síť* (the service and form are in the network, for another ORP of the kraj);
  unregistered related services are never in a network and are not compared (counted);
* one row per ORP of the territory and capacity type (``row_kind`` „ORP celkem“): units
  in the network and reported (registered services), the difference, FTE, the ORP's
  population and both per 1,000 inhabitants, the median over *all* ORP of the kraj of
  the network's units per 1,000 inhabitants (an ORP without such a unit counts as 0) and
  the ORP's network figure as % of that median.

Nothing here imports the merge (``consolidate`` calls ``compare``); ``model`` takes the
sheet's columns and labels from here.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "COLUMNS",
    "FINDINGS",
    "LABELS",
    "NUMBER_KINDS",
    "ROW_KINDS",
    "SHEET_KEY",
    "SHEET_NAME",
    "Network",
    "NetworkError",
    "check_fits",
    "compare",
    "network_from_result",
    "read_network",
    "summary_line",
]

SHEET_KEY = "network"
SHEET_NAME = "Síť vs skutečnost"
KIND = "sit"

#: findings of a service row, in the order a clerk acts on them
MISSING = "v síti, nehlášena"
NO_DATA = "v síti, ORP nedodalo souhrn"
OUTSIDE = "hlášena, mimo síť"
OTHER_ORP = "hlášena v jiném ORP, než uvádí síť"
DIFFERENT = "liší se"
MATCH = "shoda"
FINDINGS = (MISSING, OUTSIDE, OTHER_ORP, DIFFERENT, MATCH, NO_DATA)
#: ``row_kind``: the totals of an ORP per capacity type, and one service
ORP_TOTAL = "ORP celkem"
SERVICE = "služba"
ROW_KINDS = (ORP_TOTAL, SERVICE)

#: the columns of Síť vs skutečnost (field keys take the spec's labels)
COLUMNS = (
    "row_kind", "finding", "kod_orp", "nazev_orp", "identifikator", "nazev_sluzby", "poskytovatel",
    "ico_poskytovatele", "druh", "forma", "typ_kapacity", "net_kapacita", "rep_kapacita", "diff_kapacita",
    "net_uvazky", "rep_uvazky", "diff_uvazky", "population", "net_per_1000", "rep_per_1000", "median_per_1000",
    "pct_of_median", "note", "net_row", "src_file",
)  # fmt: skip

#: Czech headings of the computed columns
LABELS = {
    "net_kapacita": "Kapacita v síti",
    "rep_kapacita": "Kapacita hlášená",
    "diff_kapacita": "Rozdíl kapacity (hlášeno − síť)",
    "net_uvazky": "Úvazky v síti",
    "rep_uvazky": "Úvazky hlášené",
    "diff_uvazky": "Rozdíl úvazků (hlášeno − síť)",
    "net_per_1000": "V síti na 1 000 obyvatel",
    "rep_per_1000": "Hlášeno na 1 000 obyvatel",
    "median_per_1000": "Medián ORP kraje v síti na 1 000 obyvatel",
    "pct_of_median": "Síť v ORP proti mediánu kraje (%)",
    "net_row": "Řádek v souboru sítě",
}

#: number format of the numeric columns (kinds of ``xlkpss.merge.workbook.NUMBER_FORMATS``)
NUMBER_KINDS = {
    "net_kapacita": "int", "rep_kapacita": "int", "diff_kapacita": "int", "population": "int", "net_row": "int",
    "net_uvazky": "dec", "rep_uvazky": "dec", "diff_uvazky": "dec",
    "net_per_1000": "per1000", "rep_per_1000": "per1000", "median_per_1000": "per1000", "pct_of_median": "pct",
}  # fmt: skip

_EPS = 1e-9


class NetworkError(ValueError):
    """The network file cannot be used (a Czech sentence saying why and what to do)."""


@dataclass
class Network:
    """A validated network file: its kraj and year and one entry per row (codes)."""

    file: str
    sha256: str
    kraj: str
    year: int | None
    #: field key -> value (codes as in the code lists) plus ``row`` (Excel row number)
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: errors that keep the rows (a contact on Identifikace), as sentences
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

_SHOWN_ERRORS = 5


def read_network(path: str | os.PathLike, *, engine: str = "calamine") -> Network:
    """Validate the network file at ``path`` and return its entries; ``NetworkError``
    when it is not a network template or has an error in a row or in the kraj / year."""
    from xlkpss.validate.engine import validate_paths

    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"soubor {path} neexistuje")
    [res] = validate_paths([path], engine=engine, workers=1)
    return network_from_result(res)


def network_from_result(res: Any) -> Network:
    """The network of a validated file (an ``xlkpss.validate.issues.FileResult``);
    ``NetworkError`` as ``read_network``."""
    from xlkpss.spec import get_template

    path = Path(res.path)
    t = get_template(KIND)
    if res.kind != KIND:
        if res.kind:
            other = get_template(res.kind)
            raise NetworkError(
                f"soubor {path.name} je šablona „{other.title}“, ne krajská síť; síť se vyplňuje do šablony "
                f"{t.filename} (xlkpss template {KIND})"
            )
        why = "; ".join(i.body() for i in res.errors[:2]) or "není to šablona xlkpss"
        raise NetworkError(f"soubor {path.name} nelze použít jako krajskou síť: {why}")
    blocking = [i for i in res.errors if res.effect_of(i) in ("file", "row")]
    if blocking:
        shown = "; ".join(i.message() for i in blocking[:_SHOWN_ERRORS])
        more = len(blocking) - _SHOWN_ERRORS
        from xlkpss.i18n import plural_cs

        raise NetworkError(
            f"soubor {path.name} má {plural_cs(len(blocking), ('chybu', 'chyby', 'chyb'))}, se kterými by porovnání se "
            f"sítí nebylo správné: {shown}{f' (a {more} další)' if more > 0 else ''}. Opravte je (seznam vypíše "
            f"xlkpss validate {path.name}) a spusťte slučování znovu"
        )
    frame = res.frames.get("sit")
    if frame is None or not len(frame):
        raise NetworkError(f"soubor {path.name} neobsahuje na listu {t.sheet('sit').name} žádnou službu")
    keys = [f.key for f in t.sheet("sit").fields]
    entries = []
    for rec in frame.to_dict("records"):
        e = {k: _plain(rec.get(k)) for k in keys}
        e["row"] = int(rec["_row"])
        entries.append(e)
    kraj = res.ident.get("kod_kraje")
    year = res.ident.get("rok")
    return Network(
        file=path.name,
        sha256=res.sha256,
        kraj=str(kraj),
        year=int(year) if year is not None else None,
        entries=entries,
        notes=[i.message() for i in res.errors if res.effect_of(i) == "none"],
    )


def _plain(value: Any) -> Any:
    """A frame value as a plain Python value (NA → None, numpy numbers → int / float)."""
    import math

    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def check_fits(net: Network, *, level: str, territory: Any, year: int) -> None:
    """The network must be of the merged year and of the kraj of the merged territory."""
    from xlkpss.codelists import orps, regions

    if level not in ("orp", "kraj"):
        raise NetworkError(
            "krajskou síť lze porovnat jen se souhrnem ORP nebo kraje, ne se souhrnem za Českou republiku"
        )
    kraj = territory.code if level == "kraj" else orps()[territory.code]["kod_kraje"]
    net_kraj = regions().get(net.kraj, {}).get("nazev_kraje", net.kraj)
    if kraj != net.kraj:
        where = territory.describe() + (f" ({regions()[kraj]['nazev_kraje']})" if level == "orp" else "")
        raise NetworkError(f"síť v souboru {net.file} je sítí kraje {net_kraj}, slučuje se ale {where}")
    if net.year is not None and net.year != year:
        raise NetworkError(
            f"síť v souboru {net.file} je na rok {net.year}, slučují se údaje za rok {year}; "
            f"použijte síť na rok {year}"
        )


def compare(
    c: Any, net: Network, *, level: str, territory: Any, year: int, delivered: set[str] | None = None
) -> None:
    """Add Síť vs skutečnost (``c.tables["network"]``) and ``c.meta["network"]`` to the
    consolidated data set ``c`` of ``territory``; ``NetworkError`` when the network does
    not fit it (another kraj or year, a national merge).  ``delivered``: the ORP codes with
    an accepted workbook (a regional merge); the network services of the other ORP are
    *v síti, ORP nedodalo souhrn* — no data is no evidence that a service is missing."""
    import pandas as pd

    from xlkpss.codelists import codelist, orps

    check_fits(net, level=level, territory=territory, year=year)
    all_orp = orps()
    in_territory = {territory.code} if level == "orp" else {o for o, r in all_orp.items() if r["kod_kraje"] == net.kraj}
    shown = _Shown(codelist)

    entries = [shown.entry(e) for e in net.entries]
    reported_all = [r for r in _records(c.table("services")) if r.get("kod_orp") in in_territory]
    registered = [r for r in reported_all if r.get("registrovana") != "ne" and r.get("identifikator")]
    unregistered = len(reported_all) - len(registered)

    rows: list[dict[str, Any]] = []
    net_by_key = {(e["identifikator"], e["forma"], e["kod_orp"]): e for e in entries}
    used: set[int] = set()
    leftover: list[dict[str, Any]] = []
    for r in registered:
        key = (str(r["identifikator"]), r.get("forma"), r.get("kod_orp"))
        e = net_by_key.get(key)
        if e is not None and id(e) not in used:
            used.add(id(e))
            rows.append(_matched(e, r, shown))
        else:
            leftover.append(r)
    for r in leftover:
        elsewhere = [
            e for e in entries
            if id(e) not in used and e["identifikator"] == str(r["identifikator"]) and e["forma"] == r.get("forma")
        ]  # fmt: skip
        if elsewhere:
            e = elsewhere[0]
            used.add(id(e))
            row = _matched(e, r, shown)
            row["finding"] = OTHER_ORP
            row["note"] = "; ".join(
                x for x in (f"v síti pro ORP {e['nazev_orp']} (řádek {e['row']})", row.get("note")) if x
            )
            rows.append(row)
        else:
            rows.append(_reported_only(r))
    for e in entries:
        if id(e) not in used and e["kod_orp"] in in_territory:
            row = _network_only(e)
            if delivered is not None and e["kod_orp"] not in delivered:
                row["finding"], row["note"] = NO_DATA, "za ORP nebyl sloučen žádný souhrn; nelze říct, zda služba působí"
            rows.append(row)

    totals = _orp_totals(entries, registered, net.kraj, in_territory, shown, delivered)
    order = {f: i for i, f in enumerate(FINDINGS)}
    from xlkpss.collate import czech_key

    def sort_key(r: dict[str, Any]) -> tuple:
        return (
            czech_key(r.get("nazev_orp") or ""),
            str(r.get("kod_orp") or ""),
            0 if r["row_kind"] == ORP_TOTAL else 1,
            shown.capacity_order(r.get("typ_kapacity")) if r["row_kind"] == ORP_TOTAL else order[r["finding"]],
            czech_key(r.get("nazev_sluzby") or r.get("poskytovatel") or ""),
            str(r.get("identifikator") or ""),
            r.get("net_row") or 0,
        )

    out = sorted(totals + rows, key=sort_key)
    c.tables[SHEET_KEY] = pd.DataFrame(
        {col: [r.get(col) for r in out] for col in COLUMNS}, columns=list(COLUMNS), dtype=object
    )
    counts = {f: sum(1 for r in rows if r["finding"] == f) for f in FINDINGS}
    c.meta[SHEET_KEY] = {
        "file": net.file,
        "sha256": net.sha256,
        "kraj": net.kraj,
        "year": net.year,
        "entries": sum(1 for e in entries if e["kod_orp"] in in_territory),
        "entries_kraj": len(entries),
        "findings": counts,
        "unregistered_not_compared": unregistered,
        "notes": list(net.notes),
    }


class _Shown:
    """Codes of the network file as the consolidated workbook shows them."""

    def __init__(self, codelist):
        self.druhy = codelist("druhy_sluzeb")
        self.formy = codelist("formy")
        self.typy = codelist("typy_kapacity")
        self._typ_order = {item.display: i for i, item in enumerate(self.typy)}

    def entry(self, e: dict[str, Any]) -> dict[str, Any]:
        from xlkpss.codelists import orps

        o = orps().get(str(e.get("orp")), {})
        return {
            **e,
            "identifikator": str(e.get("identifikator") or ""),
            "druh": self.druhy.display_of(e.get("druh")),
            "forma": self.formy.display_of(e.get("forma")),
            "typ_kapacity": self.typy.display_of(e.get("typ_kapacity")),
            "kod_orp": str(e.get("orp")),
            "nazev_orp": o.get("nazev_orp"),
        }

    def capacity_order(self, shown: Any) -> int:
        return self._typ_order.get(shown, len(self._typ_order))


def _records(frame: Any) -> list[dict[str, Any]]:
    if frame is None or not len(frame):
        return []
    return [{k: _plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(" ", "").replace(",", "."))
    except ValueError:
        return None


def _clean(value: float | None) -> int | float | None:
    """A whole float as int (120.0 → 120), so the workbook shows no decimals."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _fmt(value: float | None) -> str:
    from xlkpss.i18n import format_number

    if value is None:
        return "–"
    return format_number(value, 0 if float(value).is_integer() else 2)


def _diff(rep: float | None, net: float | None) -> int | float | None:
    if rep is None or net is None:
        return None
    return _clean(round(rep - net, 6))


def _base(e: dict[str, Any] | None, r: dict[str, Any] | None) -> dict[str, Any]:
    """The identity columns: the report's values where there is one, else the network's."""
    src = r or {}
    net = e or {}

    def pick(key: str) -> Any:
        v = src.get(key)
        return v if v not in (None, "") else net.get(key)

    return {
        "row_kind": SERVICE,
        "kod_orp": src.get("kod_orp") or net.get("kod_orp"),
        "nazev_orp": src.get("nazev_orp") or net.get("nazev_orp"),
        "identifikator": str(pick("identifikator") or "") or None,
        "nazev_sluzby": pick("nazev_sluzby"),
        "poskytovatel": pick("poskytovatel"),
        "ico_poskytovatele": pick("ico_poskytovatele"),
        "druh": pick("druh"),
        "forma": pick("forma"),
        "typ_kapacity": pick("typ_kapacity"),
        "net_row": net.get("row"),
        "src_file": src.get("src_file"),
    }


def _word(key: str) -> str:
    """A network field's label from the spec, as a word inside a sentence („Typ kapacity“ →
    „typ kapacity“, „IČO poskytovatele“ stays)."""
    from xlkpss.spec import get_template

    label = get_template(KIND).sheet("sit").field(key).label
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _matched(e: dict[str, Any], r: dict[str, Any], shown: _Shown) -> dict[str, Any]:
    row = _base(e, r)
    net_cap, rep_cap = _num(e.get("kapacita")), _num(r.get("kapacita"))
    net_fte, rep_fte = _num(e.get("uvazky")), _num(r.get("uvazky"))
    row.update(net_kapacita=_clean(net_cap), rep_kapacita=_clean(rep_cap), net_uvazky=_clean(net_fte), rep_uvazky=_clean(rep_fte))
    differences = []
    same_type = e.get("typ_kapacity") == r.get("typ_kapacity")
    if not same_type:
        differences.append(f"{_word('typ_kapacity')}: v síti {e.get('typ_kapacity')}, hlášeno {r.get('typ_kapacity') or '–'}")
    else:
        row["diff_kapacita"] = _diff(rep_cap, net_cap)
        if net_cap is None or rep_cap is None or abs(net_cap - rep_cap) > _EPS:
            differences.append(f"{_word('kapacita')}: v síti {_fmt(net_cap)}, hlášeno {_fmt(rep_cap)}")
    if net_fte is not None:
        row["diff_uvazky"] = _diff(rep_fte, net_fte)
        if rep_fte is None or abs(net_fte - rep_fte) > _EPS:
            differences.append(f"{_word('uvazky')}: v síti {_fmt(net_fte)}, hlášeno {_fmt(rep_fte)}")
    if e.get("druh") and r.get("druh") and e["druh"] != r["druh"]:
        differences.append(f"{_word('druh')}: v síti {e['druh']}, hlášeno {r['druh']}")
    if e.get("ico_poskytovatele") and r.get("ico_poskytovatele") and str(e["ico_poskytovatele"]) != str(r["ico_poskytovatele"]):
        differences.append(f"{_word('ico_poskytovatele')}: v síti {e['ico_poskytovatele']}, hlášeno {r['ico_poskytovatele']}")
    row["finding"] = DIFFERENT if differences else MATCH
    row["note"] = "; ".join(differences) or None
    return row


def _reported_only(r: dict[str, Any]) -> dict[str, Any]:
    row = _base(None, r)
    row.update(
        finding=OUTSIDE,
        rep_kapacita=_clean(_num(r.get("kapacita"))),
        rep_uvazky=_clean(_num(r.get("uvazky"))),
        note="registrovaná služba hlášená v ORP, v síti kraje není (ani pro jiné ORP)",
    )
    return row


def _network_only(e: dict[str, Any]) -> dict[str, Any]:
    row = _base(e, None)
    row.update(
        finding=MISSING,
        net_kapacita=_clean(_num(e.get("kapacita"))),
        net_uvazky=_clean(_num(e.get("uvazky"))),
        note="služba je v síti, ale v ORP ji nikdo nehlásil",
    )
    return row


def _orp_totals(
    entries: list[dict[str, Any]],
    registered: list[dict[str, Any]],
    kraj: str,
    in_territory: set[str],
    shown: _Shown,
    delivered: set[str] | None,
) -> list[dict[str, Any]]:
    """Per ORP of the territory and capacity type: units in the network and reported, per
    1,000 inhabitants, and the median of the network's figure over every ORP of the kraj."""
    from xlkpss.codelists import orps, territory

    kraj_orps = sorted(o for o, r in orps().items() if r["kod_kraje"] == kraj)
    population = {o: territory(orp=o).population for o in kraj_orps}
    types = sorted({e["typ_kapacity"] for e in entries if e.get("typ_kapacity")} | {
        r["typ_kapacity"] for r in registered if r.get("typ_kapacity")
    }, key=shown.capacity_order)  # fmt: skip

    def total(rows: list[dict[str, Any]], orp: str, typ: str, key: str) -> float:
        return sum(_num(x.get(key)) or 0.0 for x in rows if x.get("kod_orp") == orp and x.get("typ_kapacity") == typ)

    out = []
    for typ in types:
        per_1000 = {
            o: total(entries, o, typ, "kapacita") / population[o] * 1000 for o in kraj_orps if population[o]
        }
        median = statistics.median(per_1000.values()) if per_1000 else None
        for o in sorted(in_territory):
            pop = population.get(o)
            net_cap, rep_cap = total(entries, o, typ, "kapacita"), total(registered, o, typ, "kapacita")
            net_fte, rep_fte = total(entries, o, typ, "uvazky"), total(registered, o, typ, "uvazky")
            net_pk = per_1000.get(o)
            no_data = delivered is not None and o not in delivered
            out.append(
                {
                    "row_kind": ORP_TOTAL,
                    "kod_orp": o,
                    "nazev_orp": orps()[o]["nazev_orp"],
                    "typ_kapacity": typ,
                    "net_kapacita": _clean(net_cap),
                    "rep_kapacita": _clean(rep_cap),
                    "diff_kapacita": _diff(rep_cap, net_cap),
                    "net_uvazky": _clean(round(net_fte, 6)),
                    "rep_uvazky": _clean(round(rep_fte, 6)),
                    "diff_uvazky": _diff(rep_fte, net_fte),
                    "population": pop,
                    "net_per_1000": net_pk,
                    "rep_per_1000": rep_cap / pop * 1000 if pop else None,
                    "median_per_1000": median,
                    "pct_of_median": net_pk / median * 100 if net_pk is not None and median else None,
                    "note": None if median else "medián kraje je 0: většina ORP kraje tuto kapacitu v síti nemá",
                }
            )
            if no_data:
                out[-1].update(
                    rep_kapacita=None, diff_kapacita=None, rep_uvazky=None, diff_uvazky=None, rep_per_1000=None,
                    note="; ".join(
                        x for x in ("za ORP nebyl sloučen žádný souhrn: hlášené jednotky nejsou známy", out[-1]["note"]) if x
                    ),
                )
    return out


def summary_line(info: dict[str, Any]) -> str:
    """One Czech line of the counts (CLI after a merge)."""
    found = info.get("findings") or {}
    return (
        f"síť kraje ({info.get('file')}): {info.get('entries', 0)} služeb v síti pro území; shoda {found.get(MATCH, 0)}, "
        f"liší se {found.get(DIFFERENT, 0)}, nehlášeno {found.get(MISSING, 0)}, mimo síť {found.get(OUTSIDE, 0)}, "
        f"v jiném ORP {found.get(OTHER_ORP, 0)}"
        + (f", v ORP bez souhrnu {found[NO_DATA]}" if found.get(NO_DATA) else "")
        + f" (list {SHEET_NAME})"
        + "".join(f"\n  v souboru sítě je chyba, která porovnání neovlivní: {n}" for n in info.get("notes") or [])
    )
