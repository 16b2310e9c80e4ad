"""Plausibility queries against peers (*dotazy*): is a service's figure unusual for its kind?

Type checks catch „cca 20“; they cannot catch a domov pro seniory with 4 beds and 40
million Kč.  For every service the ratios that mean something are computed —

* cost per capacity unit (``naklady / kapacita``), direct-care FTE per capacity unit
  (``uvazky / kapacita``), users per capacity unit (``pocet_uzivatelu / kapacita``): peers
  are the services of the same type × form × capacity type;
* the share of each funding source in the costs (``zdroj_* / naklady``, in %): peers of the
  same type × form;
* with last year's services (``previous``), the year-over-year change of capacity (same
  type × form × capacity type, the capacity type unchanged) and of costs (type × form), in %;

and compared with its peers by robust statistics: the median, the median absolute
deviation MAD = median(|x − median|) and the modified z-score (Iglewicz and Hoaglin)
``z = 0.6745 · (x − median) / MAD``.  When MAD is 0 (more than half of the peers share one
value — typical of a funding source most services do not have), the mean absolute
deviation stands in: ``z = (x − median) / (1.253314 · meanAD)`` (1.253314 · meanAD estimates
the standard deviation of normal data as MAD / 0.6745 does); when that is 0 too, every
peer has the same value and nothing is unusual (z = 0).

A value with ``|z| > threshold`` (spec ``[peers] threshold``, default 3.5) is a *dotaz*: a
warning with a stable code (``QUERY_CODES``) and a sentence in a clerk's words.  Shares
and changes must also differ from the median by at least ``min_difference_points``
percentage points, ratios per capacity unit by at least the factor ``min_factor`` (1.5:
a tight group with a small MAD would otherwise query a cost 20 % above the median).  A
group with fewer than ``min_peers`` values (spec, default 5) gets no
z-score: its services are counted in ``PeerResult.not_assessed``, and the outputs say so.

The peers are the services being checked (a file in ``xlkpss validate``, the territory of
a merge) plus, optionally, the services of a reference workbook (``--reference``: last
year's region, …), which are peers only — queries are raised on the checked services.
A reference row that *is* a checked row (same file SHA-256 and row) is not counted twice.

A query is explained exactly like any warning: by a note in the row's comment column
(*Poznámka*).  ``query_files`` adds the queries of validated files to their issues
(``xlkpss validate FILE --reference``); the merge calls ``find_queries`` on its services
(``xlkpss.merge.peers``) — one implementation for both.

Records are mappings with the spec's field keys; code-list fields may hold codes (typed
validation frames) or the Czech dropdown text (consolidated workbooks).
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MEANAD_FACTOR",
    "QUERY_CODES",
    "RATIOS",
    "Z_FACTOR",
    "PeerResult",
    "PeerSettings",
    "Query",
    "find_queries",
    "format_value",
    "modified_z",
    "peer_settings",
    "query_files",
    "query_issue",
    "robust_stats",
    "summary_text",
]

#: 0.6745 = the 0.75 quantile of the standard normal: MAD / 0.6745 estimates σ
Z_FACTOR = 0.6745
#: √(π/2): 1.253314 · mean absolute deviation estimates σ (used when MAD = 0)
MEANAD_FACTOR = 1.253314


@dataclass(frozen=True)
class Ratio:
    key: str
    code: str
    #: "money" | "fte" | "count" (per capacity unit), "share" | "change" (in %)
    kind: str
    by_capacity: bool
    #: Czech name; ``{unit}`` is the capacity unit („lůžko“), ``{source}`` a funding source
    name: str
    name_en: str


#: the ratios, in the order queries of one service are listed
RATIOS: tuple[Ratio, ...] = (
    Ratio("costs_per_unit", "query-costs-per-unit", "money", True, "Náklady na {unit}", "Costs per {unit}"),
    Ratio(
        "staff_per_unit",
        "query-staff-per-unit",
        "fte",
        True,
        "Úvazky v přímé péči na {unit}",
        "Direct-care FTE per {unit}",
    ),
    Ratio(
        "users_per_unit", "query-users-per-unit", "count", True, "Uživatelé za rok na {unit}", "Users a year per {unit}"
    ),
    Ratio(
        "funding_share",
        "query-funding-share",
        "share",
        False,
        "Podíl zdroje {source} na nákladech",
        "Share of {source} in costs",
    ),
    Ratio("capacity_change", "query-capacity-change", "change", True, "Meziroční změna kapacity", "Change of capacity"),
    Ratio("costs_change", "query-costs-change", "change", False, "Meziroční změna nákladů", "Change of costs"),
)
_RATIO_ORDER = {r.key: n for n, r in enumerate(RATIOS)}
QUERY_CODES = frozenset(r.code for r in RATIOS)


@dataclass(frozen=True)
class PeerSettings:
    threshold: float = 3.5
    min_peers: int = 5
    min_difference_points: float = 10.0
    min_factor: float = 1.5
    units: Mapping[str, str] = field(default_factory=dict)


def peer_settings(threshold: float | None = None, min_peers: int | None = None) -> PeerSettings:
    """The spec's ``[peers]`` settings, optionally overridden."""
    from xlkpss.spec import load_spec

    p = load_spec().peers
    return PeerSettings(
        threshold=float(p.get("threshold", 3.5) if threshold is None else threshold),
        min_peers=int(p.get("min_peers", 5) if min_peers is None else min_peers),
        min_difference_points=float(p.get("min_difference_points", 10.0)),
        min_factor=float(p.get("min_factor", 1.5)),
        units=dict(p.get("units", {})),
    )


def robust_stats(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, MAD, mean absolute deviation from the median) of ``values``."""
    med = statistics.median(values)
    dev = [abs(v - med) for v in values]
    return med, statistics.median(dev), math.fsum(dev) / len(dev)


def modified_z(x: float, median: float, mad: float, meanad: float) -> float:
    """0.6745·(x − median)/MAD; with MAD = 0 (x − median)/(1.253314·meanAD); 0 when both are 0."""
    if mad > 0:
        return Z_FACTOR * (x - median) / mad
    if meanad > 0:
        return (x - median) / (MEANAD_FACTOR * meanad)
    return 0.0


# ---------------------------------------------------------------------------
# Values of a record
# ---------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    t = type(value)
    if t is int:
        return float(value)
    if t is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):  # pandas' NA and anything else that is no number
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _text(value: Any) -> str | None:
    if value is None or type(value).__name__ == "NAType" or isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


@functools.lru_cache(maxsize=4096)
def _code_of(listname: str, value: Any) -> str | None:
    from xlkpss.codelists import codelist

    item = codelist(listname).resolve(value)
    return item.code if item is not None else None


def _code(listname: str, value: Any) -> str | None:
    if _text(value) is None:
        return None
    try:
        return _code_of(listname, value)
    except TypeError:  # not hashable
        return None


def _funding_fields() -> list[Any]:
    from xlkpss.spec import get_template

    return [f for f in get_template("sluzby").sheet("sluzby").fields if f.funding]


def _comment_key() -> str | None:
    from xlkpss.spec import get_template

    f = get_template("sluzby").sheet("sluzby").comment_field
    return f.key if f is not None else None


def _service_key(rec: Mapping[str, Any], forma: str | None) -> tuple:
    """Which of last year's services a record is (as the Meziroční změny sheet matches)."""
    from xlkpss.codelists import normalize_key

    ident = _text(rec.get("identifikator"))
    if ident:
        return ("id", ident, forma or "")
    return (
        "name",
        _text(rec.get("ico_poskytovatele")) or "",
        normalize_key(rec.get("nazev_sluzby") or ""),
        forma or "",
    )


#: one value of a ratio: (value, index of the checked record or None for a reference row,
#: detail — the funding field of a share, last year's value of a change)
_Obs = tuple[float, "int | None", Any]
_BY_KEY = {r.key: r for r in RATIOS}
_PER_UNIT = (("costs_per_unit", "naklady"), ("staff_per_unit", "uvazky"), ("users_per_unit", "pocet_uzivatelu"))


def _observations(
    recs: Sequence[Mapping[str, Any]],
    checked: bool,
    prev: Mapping[tuple, Mapping[str, Any]],
    groups: dict[tuple, list[_Obs]],
) -> None:
    """Add the ratios of ``recs`` to ``groups`` (group key → values; the key's first item is
    the ratio's key)."""
    from xlkpss.codelists import is_related_type

    funding = _funding_fields()
    for n, rec in enumerate(recs):
        druh = _code("druhy_sluzeb", rec.get("druh"))
        forma = _code("formy", rec.get("forma"))
        if druh is None or forma is None or is_related_type(druh):
            continue  # an unregistered related service has no peers of its kind
        typ = _code("typy_kapacity", rec.get("typ_kapacity"))
        at = n if checked else None
        cap = _num(rec.get("kapacita"))
        costs = _num(rec.get("naklady"))
        if cap is not None and cap > 0 and typ is not None:
            for key, field_key in _PER_UNIT:
                v = _num(rec.get(field_key))
                if v is not None:
                    groups.setdefault((key, druh, forma, typ), []).append((v / cap, at, None))
        if costs is not None and costs > 0:
            for f in funding:
                v = _num(rec.get(f.key))
                if v is not None:
                    groups.setdefault(("funding_share", f.key, druh, forma), []).append((100.0 * v / costs, at, f))
        if not checked or not prev:
            continue
        p = prev.get(_service_key(rec, forma))
        if p is None:
            continue
        pcap, pcost = _num(p.get("kapacita")), _num(p.get("naklady"))
        if cap is not None and pcap and typ is not None and _code("typy_kapacity", p.get("typ_kapacity")) == typ:
            groups.setdefault(("capacity_change", druh, forma, typ), []).append((100.0 * (cap - pcap) / pcap, at, pcap))
        if costs is not None and pcost:
            groups.setdefault(("costs_change", druh, forma), []).append((100.0 * (costs - pcost) / pcost, at, pcost))


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


def _czech(x: float, decimals: int) -> str:
    from xlkpss.i18n import format_number

    text = format_number(round(x, decimals), decimals)
    if decimals and "," in text:
        text = text.rstrip("0").rstrip(",")
    return text.replace("\u00a0", " ")


def format_value(kind: str, x: float) -> str:
    """A ratio as a clerk reads it: „1,2 mil. Kč“, „310 tis. Kč“, „0,15“, „45 %“, „+120 %“."""
    if kind == "money":
        a = abs(x)
        if a >= 1_000_000:
            return f"{_czech(x / 1_000_000, 1)} mil. Kč"
        if a >= 1_000:
            return f"{_czech(x / 1_000, 0 if a >= 100_000 else 1)} tis. Kč"
        return f"{_czech(x, 0)} Kč"
    if kind == "fte":
        return _czech(x, 2 if abs(x) >= 0.1 else 3)
    if kind == "count":
        return _czech(x, 1 if abs(x) >= 1 else 2)
    if kind == "share":
        return f"{_czech(x, 0 if abs(x) >= 10 else 1)} %"
    sign = "+" if x > 0 else "−" if x < 0 else ""
    return f"{sign}{_czech(abs(x), 0 if abs(x) >= 10 else 1)} %"


def _times(r: float) -> str:
    return f"{_czech(r, 0 if r >= 10 else 1)}×"


@dataclass
class Query:
    """One unusual value of one checked service."""

    ratio: Ratio
    #: the checked record (a row of the file / of the merge's services)
    record: Mapping[str, Any]
    #: position of the record in the list given to ``find_queries``
    index: int
    value: float
    median: float
    mad: float
    z: float
    #: number of values in the peer group (the service itself included)
    peers: int
    #: „§49 Domovy pro seniory, pobytová, lůžka“
    group_text: str
    #: where the peers are: „v ORP Chomutov a v referenčním souhrnu“
    scope: str = ""
    funding_field: Any = None
    explained: bool = False
    note: str | None = None
    unit: str = ""

    @property
    def code(self) -> str:
        return self.ratio.code

    @property
    def field_key(self) -> str:
        """The field the query points at (its cell)."""
        if self.ratio.key == "funding_share":
            return self.funding_field.key
        return {"costs_per_unit": "naklady", "staff_per_unit": "uvazky", "users_per_unit": "pocet_uzivatelu",
                "capacity_change": "kapacita", "costs_change": "naklady"}[self.ratio.key]  # fmt: skip

    def name(self, lang: str = "cs") -> str:
        template = self.ratio.name if lang == "cs" else self.ratio.name_en
        source = ""
        if self.funding_field is not None:
            source = self.funding_field.label.replace(" (Kč)", "")
        return template.format(unit=self.unit, source=source)

    @property
    def ratio_to_median(self) -> float | None:
        """value ÷ median (per-unit ratios and shares with a positive median; None for changes)."""
        if self.ratio.kind == "change" or self.median <= 0:
            return None
        return self.value / self.median

    def value_text(self) -> str:
        return format_value(self.ratio.kind, self.value)

    def median_text(self) -> str:
        return format_value(self.ratio.kind, self.median)

    def comparison(self) -> str:
        """„4× vyšší než“, „o 45 % nižší než“, „o 30 procentních bodů vyšší než“."""
        higher = self.value > self.median
        word = "vyšší" if higher else "nižší"
        if self.ratio.kind in ("share", "change"):
            diff = abs(self.value - self.median)
            return f"o {_czech(diff, 0 if diff >= 10 else 1)} procentních bodů {word} než"
        if self.median <= 0 or self.value <= 0:
            return f"{word} než"
        r = self.value / self.median if higher else self.median / self.value
        if r >= 2:
            return f"{_times(r)} {word} než"
        pct = 100.0 * abs(self.value - self.median) / self.median
        return f"o {_czech(pct, 0)} % {word} než"

    def text(self, lang: str = "cs") -> str:
        """The sentence of the query (Czech, or English for ``lang="en"``)."""
        from xlkpss.i18n import plural_cs

        counted = plural_cs(self.peers, ("služba", "služby", "služeb"))
        where = f"{self.group_text}: {counted}{(' ' + self.scope) if self.scope else ''}"
        if lang == "cs":
            return (
                f"{self.name()} {self.value_text()} {'jsou' if self.ratio.key in _PLURAL else 'je'} {self.comparison()} "
                f"medián srovnatelných služeb ({self.median_text()}; {where}). Vysvětlete {_comment_place()}."
            )
        return (
            f"{self.name('en')} {self.value_text()} is unusual: the median of comparable services is "
            f"{self.median_text()} ({self.group_text}, {self.peers} services; modified z-score {self.z:.1f}). "
            "Explain it in the comment column."
        )


#: ratios whose Czech name is plural („Náklady … jsou“)
_PLURAL = frozenset({"costs_per_unit", "staff_per_unit", "users_per_unit"})


def _comment_place() -> str:
    """Where the clerk explains: „v Poznámce“ (the comment column of the services sheet)."""
    from xlkpss.spec import get_template

    f = get_template("sluzby").sheet("sluzby").comment_field
    if f is None or f.label == "Poznámka":
        return "v Poznámce"
    return f"ve sloupci {f.label}"


@dataclass
class PeerResult:
    queries: list[Query] = field(default_factory=list)
    #: values of checked services compared with a large enough group
    assessed: int = 0
    #: values of checked services in groups smaller than ``min_peers`` (no z-score)
    not_assessed: int = 0
    #: such small groups (with at least one checked service)
    small_groups: int = 0
    settings: PeerSettings = field(default_factory=PeerSettings)
    reference_rows: int = 0


@functools.lru_cache(maxsize=4096)
def _group_text(ratio: Ratio, group: tuple) -> str:
    from xlkpss.codelists import codelist

    if ratio.key == "funding_share":
        _k, _f, druh, forma = group
        typ = None
    elif ratio.by_capacity:
        _k, druh, forma, typ = group
    else:
        _k, druh, forma = group
        typ = None
    parts = [codelist("druhy_sluzeb").display_of(druh), codelist("formy").display_of(forma)]
    if typ is not None:
        parts.append(codelist("typy_kapacity").display_of(typ))
    return ", ".join(p for p in parts if p)


def _unit_of(ratio: Ratio, group: tuple, s: PeerSettings) -> str:
    if ratio.key in ("costs_per_unit", "staff_per_unit", "users_per_unit"):
        return s.units.get(group[3], "jednotku kapacity")
    return ""


def find_queries(
    services: Sequence[Mapping[str, Any]],
    *,
    reference: Iterable[Mapping[str, Any]] = (),
    previous: Iterable[Mapping[str, Any]] = (),
    settings: PeerSettings | None = None,
    scope: str = "",
) -> PeerResult:
    """The queries of ``services`` against their peers (``services`` + ``reference``).

    ``previous``: last year's services (year-over-year changes); ``scope``: where the peers
    are, for the message („v ORP Chomutov a v referenčním souhrnu“).  Queries are in the
    order of ``services``, then of ``RATIOS``.
    """
    s = settings or peer_settings()
    seen = {(str(r.get("src_sha256") or ""), r.get("src_row")) for r in services if r.get("src_sha256")}
    ref = [r for r in reference if not (r.get("src_sha256") and (str(r.get("src_sha256")), r.get("src_row")) in seen)]
    prev: dict[tuple, Mapping[str, Any]] = {}
    for p in previous:
        prev.setdefault(_service_key(p, _code("formy", p.get("forma"))), p)
    groups: dict[tuple, list[_Obs]] = {}
    _observations(services, True, prev, groups)
    _observations(ref, False, {}, groups)
    comment = _comment_key()
    result = PeerResult(settings=s, reference_rows=len(ref))
    for group, members in groups.items():
        mine = [o for o in members if o[1] is not None]
        if not mine:
            continue
        if len(members) < s.min_peers:
            result.not_assessed += len(mine)
            result.small_groups += 1
            continue
        result.assessed += len(mine)
        med, mad, meanad = robust_stats([o[0] for o in members])
        ratio = _BY_KEY[group[0]]
        for value, at, detail in mine:
            z = modified_z(value, med, mad, meanad)
            if abs(z) <= s.threshold:
                continue
            if ratio.kind in ("share", "change"):
                if abs(value - med) < s.min_difference_points:
                    continue
            elif med > 0 and value > 0 and max(value / med, med / value) < s.min_factor:
                continue
            rec = services[at]
            note = _text(rec.get(comment)) if comment else None
            result.queries.append(
                Query(
                    ratio=ratio,
                    record=rec,
                    index=at,
                    value=value,
                    median=med,
                    mad=mad,
                    z=z,
                    peers=len(members),
                    group_text=_group_text(ratio, group),
                    scope=scope,
                    funding_field=detail if ratio.key == "funding_share" else None,
                    explained=note is not None,
                    note=note,
                    unit=_unit_of(ratio, group, s),
                )
            )
    funding_order = {f.key: n for n, f in enumerate(_funding_fields())}
    result.queries.sort(
        key=lambda q: (
            q.index,
            _RATIO_ORDER[q.ratio.key],
            funding_order.get(q.funding_field.key, 0) if q.funding_field else 0,
        )
    )
    return result


# ---------------------------------------------------------------------------
# Validation of files: xlkpss validate FILE --reference souhrn.xlsx
# ---------------------------------------------------------------------------


def _a1(row: int, col0: int) -> str:
    letters = ""
    n = col0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def query_issue(q: Query, sheet_name: str | None, columns: Mapping[str, int] | None, row: int | None):
    """The query as a validation issue at its row's cell (``columns``: field key → 0-based column)."""
    from xlkpss.spec import get_template
    from xlkpss.validate.issues import make_issue

    f = get_template("sluzby").sheet("sluzby").field(q.field_key)
    col = (columns or {}).get(q.field_key)
    cell = _a1(row, col) if row is not None and col is not None else None
    issue = make_issue(
        q.code, sheet=sheet_name, cell=cell, row=row, column=f.label, value=_num(q.record.get(q.field_key)),
        field_key=q.field_key,
        text=q.text("cs"), text_en=q.text("en"),
    )  # fmt: skip
    issue.explained = q.explained
    return issue


def query_files(
    results: Sequence[Any],
    reference: Sequence[Mapping[str, Any]],
    *,
    settings: PeerSettings | None = None,
    scope: str = "v referenčním souhrnu",
) -> dict[Any, PeerResult]:
    """Add the queries of each validated services file (``FileResult``) to its issues.

    Each file is compared on its own: its counted rows (not excluded) and ``reference``
    (records of a consolidated workbook's *Služby*).  Returns the ``PeerResult`` per file
    path (files that are not services files or were rejected are left out).
    """
    out: dict[Any, PeerResult] = {}
    for res in results:
        if res.kind != "sluzby" or res.rejected:
            continue
        frame = res.frames.get("sluzby")
        if frame is None or not len(frame):
            continue
        recs = [
            {**r, "src_sha256": res.sha256, "src_row": int(r["_row"])}
            for r in frame.to_dict("records")
            if not r.get("_excluded")
        ]
        if not recs:
            continue
        found = find_queries(recs, reference=reference, settings=settings, scope=f"v tomto souboru a {scope}")
        sheet_name = res.sheet_names.get("sluzby")
        cols = (getattr(res, "columns", None) or {}).get("sluzby")
        for q in found.queries:
            res.issues.append(query_issue(q, sheet_name, cols, int(q.record["_row"])))
        res.settle_effects()
        out[res.path] = found
    return out


def summary_text(found: Mapping[Any, PeerResult], reference_name: str) -> str:
    """One line for the terminal after ``validate --reference``."""
    from xlkpss.i18n import plural_cs

    queries = [q for r in found.values() for q in r.queries]
    explained = sum(1 for q in queries if q.explained)
    not_assessed = sum(r.not_assessed for r in found.values())
    s = next(iter(found.values())).settings if found else peer_settings()
    return (
        f"Srovnání se souhrnem {reference_name}: {plural_cs(len(queries), ('dotaz', 'dotazy', 'dotazů'))} na neobvyklé "
        f"hodnoty (vysvětleno {explained}); neposouzeno {not_assessed} hodnot ve skupinách menších než "
        f"{s.min_peers} srovnatelných služeb."
    )
