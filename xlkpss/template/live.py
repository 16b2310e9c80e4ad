"""Live checks inside the template: conditional formatting that marks, while the clerk
types, what ``xlkpss validate`` would report, and a *Kontrola* block on every data sheet
counting the marks.

Nothing here restates a rule.  Every formula is derived from where the validator takes
its rule from:

* **required values** (``required``, ``min_count`` groups) — from the spec fields; a
  required code field whose code list holds the related-service code
  (``[related_services]``) may stay empty when ``related_services.when`` holds, as the
  validator reads it so;
* **combinations of values** (a form the law does not allow for a type, beds with a
  non-residential form, a value that makes another field required) — found by *probing*
  the validator's own row check (``checks.service_row_findings``) with every pair of
  dropdown values; the bad pairs are written as a lookup list onto the hidden lists
  sheet;
* **funding above costs** — the spec's ``funding`` fields against ``checks.COSTS_FIELD``
  with ``checks.FUNDING_TOLERANCE``; explained in the row's comment field it is not marked
  (the validator reports it as *vysvětleno*);
* **municipality outside the territory** — the municipality → ORP pairs of the code list
  against the ORP on *Identifikace*;
* **plan numbering vs level** — ``checks.level_problem`` tabulated for every level at the
  top, under a parent of every level and under a missing parent.

Each check is one expression, rendered twice: as the conditional format of the marked
column (same-sheet references; other sheets only through workbook names, as Excel 2007
requires) and as a column of the hidden helper sheet ``CHECKS_SHEET`` (1 = the problem is
in that row), which the Kontrola blocks sum and the tests read.  The helper sheet is one
the validator never parses, so the live checks cost reading nothing.  Only plain Excel functions (IF, AND, LEN, TRIM, SUMPRODUCT, INDEX, MATCH, IFERROR,
SUBSTITUTE, FIND, LEFT, SUM, ISNUMBER) — they survive a LibreOffice re-save as .xlsx and
.ods.  Values are compared with ``=`` inside SUMPRODUCT (exact, case-insensitive), never
with MATCH/COUNTIF against the lists, whose wildcard or regular-expression mode differs
between Excel and LibreOffice documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from xlkpss.cells import col_letter
from xlkpss.codelists import CodeList, Territory, codelist
from xlkpss.i18n import ISSUES
from xlkpss.spec import Field, SheetSpec, TemplateSpec, load_spec
from xlkpss.validate.checks import COSTS_FIELD, FUNDING_TOLERANCE, level_problem, service_row_findings

__all__ = [
    "CHECKS_SHEET",
    "ERROR_STYLE",
    "KONTROLA_NOTE",
    "KONTROLA_TITLE",
    "OK_STYLE",
    "ORP_NAME",
    "STARTED_NAME",
    "WARNING_STYLE",
    "Helper",
    "LiveLayout",
    "Lookup",
    "SheetLive",
    "live_layout",
]

#: conditional format of a cell with an error / a warning (Excel's "bad" / "neutral")
ERROR_STYLE = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
WARNING_STYLE = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
OK_STYLE = {"bg_color": "#C6EFCE", "font_color": "#006100"}

#: hidden sheet with one helper column per check (rows as on the data sheets)
CHECKS_SHEET = "_xlkpss_kontroly"
#: workbook names the conditional formats use for cells of other sheets
ORP_NAME = "xlkpss_orp"
STARTED_NAME = "xlkpss_zahajeno"

#: dropdown lists of at most this many values take part in the pair probes
_PROBE_MAX = 40

#: the title line of the Kontrola blocks
KONTROLA_TITLE = "Kontrola"
KONTROLA_NOTE = (
    "Červeně: chyba, žlutě: upozornění (vysvětlete v poznámce). Počítá se při psaní; "
    "úplnou kontrolu provede koordinátor při odevzdání."
)


@dataclass(frozen=True)
class Lookup:
    """A derived list written onto the hidden lists sheet under a workbook name."""

    name: str
    title: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Helper:
    """One check: 1 = the problem ``code`` is in the cell of ``field`` in that row.
    ``expr`` uses ``{S}`` (the data sheet's prefix), ``{r}`` (the row) and the names of
    the sheet's started/aux expressions in braces."""

    code: str
    field: str
    expr: str
    column: int = -1  # 0-based column on CHECKS_SHEET

    @property
    def severity(self) -> str:
        return ISSUES[self.code].severity


@dataclass
class SheetLive:
    sheet: SheetSpec
    started: str = ""  # expression: the row (table) / the submission (key–value) is started
    aux: list[tuple[str, str]] = field(default_factory=list)  # (name, expression) other checks use
    helpers: list[Helper] = field(default_factory=list)
    rows: int = 0  # data rows of a table sheet (the spec's rows, or more when pre-filled with more)
    first_helper: int = 0  # 0-based column of the started column on CHECKS_SHEET
    block_col: int = 0  # 0-based column of the Kontrola labels on the data sheet

    def codes(self) -> list[str]:
        return list(dict.fromkeys(h.code for h in self.helpers))

    def prefix(self) -> str:
        return f"'{self.sheet.name}'!"

    def row_of(self, h: Helper) -> int | None:
        """Excel row of a key–value check (None on table sheets: every data row)."""
        if self.sheet.layout != "keyvalue":
            return None
        return [f.key for f in self.sheet.fields].index(h.field) + 2

    def _names(self, row: int, inline: bool) -> dict[str, str]:
        if inline:  # the conditional format on the data sheet: expressions spelled out
            names = {"started": STARTED_NAME if self.sheet.layout == "keyvalue" else self.started}
            for name, expr in self.aux:
                names[name] = "(" + expr + ")"
            return names
        letter = col_letter(self.first_helper)
        names = {"started": f"${letter}$1" if self.sheet.layout == "keyvalue" else f"${letter}{row}"}
        for i, (name, _) in enumerate(self.aux, start=1):
            names[name] = f"${col_letter(self.first_helper + i)}{row}"
        return names

    def render(self, expr: str, row: int, *, inline: bool) -> str:
        """``expr`` for Excel row ``row``: ``inline`` for the conditional format on the data
        sheet, else for a cell of CHECKS_SHEET."""
        out = expr
        for _ in range(4):  # aux expressions refer to earlier ones
            for name, value in self._names(row, inline).items():
                out = out.replace("{" + name + "}", value)
        return out.replace("{S}", "" if inline else self.prefix()).replace("{r}", str(row))


@dataclass
class LiveLayout:
    """Where every live check of a template sits (the tests read it, too)."""

    lookups: list[Lookup]
    sheets: dict[str, SheetLive]


#: joins two values into the key of a pair list
_SEP = '&"|"&'


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _in(name: str, expr: str) -> str:
    """``expr`` is one of the values of the list named ``name`` (exact comparison)."""
    return f"SUMPRODUCT(--({name}={expr}))>0"


def _blank(ref: str) -> str:
    return f"LEN(TRIM({ref}))=0"


class _Cols:
    def __init__(self, sheet: SheetSpec):
        self.index = {f.key: i for i, f in enumerate(sheet.fields)}

    def ref(self, key: str) -> str:
        return f"{{S}}${col_letter(self.index[key])}{{r}}"

    def val(self, key: str) -> str:
        return f"TRIM({self.ref(key)})"


# --- probes of the validator ---------------------------------------------------------------


def _probe_fields(sheet: SheetSpec) -> list[Field]:
    """Dropdown fields with short lists (never scoped to a territory) that are probed."""
    return [
        f
        for f in sheet.fields
        if f.type == "code" and f.dropdown and f.group is None and f.codelist != "obce" and len(codelist(f.codelist)) <= _PROBE_MAX
    ]


@lru_cache(maxsize=8)
def _service_probes(sheet: SheetSpec):
    """(pairs, conditional) found by probing the Služby row check:
    pairs: (flagged field, code) → (field a, field b, [(code a, code b)]) of bad value pairs;
    conditional: (flagged field, code) → (field, [codes]) making an empty field a problem."""
    fields = _probe_fields(sheet)
    base = set(service_row_findings({}, sheet))
    singles: dict[tuple[str, str], set] = {}
    conditional: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for f in fields:
        for code in codelist(f.codelist).codes():
            found = set(service_row_findings({f.key: code}, sheet)) - base
            singles[(f.key, code)] = found
            for key, issue in sorted(found):
                if key != f.key:  # a problem on an empty field: that field is required here
                    conditional.setdefault((key, issue), (f.key, []))[1].append(code)
    pairs: dict[tuple[str, str], tuple[str, str, list[tuple[str, str]]]] = {}
    for a, b in combinations(fields, 2):
        for ca in codelist(a.codelist).codes():
            for cb in codelist(b.codelist).codes():
                found = set(service_row_findings({a.key: ca, b.key: cb}, sheet)) - base - singles[(a.key, ca)] - singles[(b.key, cb)]
                for key, issue in sorted(found):
                    pairs.setdefault((key, issue), (a.key, b.key, []))[2].append((ca, cb))
    return pairs, conditional


def _level_tables(lists: dict[str, CodeList]) -> tuple[list[str], list[str], list[str]]:
    """Plan levels (as displayed) that may not stand at the top, under a parent that is
    missing or of no known level, and ``parent|child`` pairs that may not nest."""
    levels = lists["urovne_planu"]
    top = [i.display for i in levels if level_problem("1", i.code, None, None)]
    orphan = [i.display for i in levels if level_problem("1.1", i.code, "1", None)]
    pairs = [f"{p.display}|{c.display}" for p in levels for c in levels if level_problem("1.1", c.code, "1", p.code)]
    return top, orphan, pairs


# --- the layout ------------------------------------------------------------------------------


def live_layout(t: TemplateSpec, scope: Territory, lists: dict[str, CodeList], rows: dict[str, int] | None = None) -> LiveLayout:
    """The live checks of template ``t`` for a territory (``lists``: the scoped dropdown
    lists, by code-list name, as the lists sheet holds them; ``rows``: table sheets that
    get more data rows than the spec's ``rows``)."""
    lookups: list[Lookup] = []
    sheets: dict[str, SheetLive] = {}
    ident = t.sheet("identifikace") if any(s.key == "identifikace" for s in t.sheets) else None
    orp_ref = ORP_NAME if ident is not None and any(f.key == "kod_orp" for f in ident.fields) else None
    related = load_spec().related
    for s in t.table_sheets:
        c = _Cols(s)
        live = SheetLive(sheet=s, rows=max(s.rows, (rows or {}).get(s.key, 0)))
        last = col_letter(len(s.fields) - 1)
        live.started = f"IFERROR(SUMPRODUCT(LEN(TRIM({{S}}$A{{r}}:${last}{{r}})))>0,TRUE)"
        started = "{started}"
        for f in s.fields:
            if not f.required:
                continue
            cond = [started, _blank(c.ref(f.key))]
            when_keys = list((related.get("when") or {}))
            if f.type == "code" and related.get("druh") in codelist(f.codelist) and when_keys and all(k in c.index for k in when_keys):
                when = [f"{c.val(k)}={_q(codelist(s.field(k).codelist).display_of(v))}" for k, v in related["when"].items()]
                cond.append(f"NOT(AND({','.join(when)}))")
            live.helpers.append(Helper("required", f.key, f"AND({','.join(cond)})"))
        groups = dict.fromkeys(f.group for f in s.fields if f.group and f.min_count)
        for g in groups:
            members = s.group(g)
            filled = "+".join(f"(LEN(TRIM({c.ref(m.key)}))>0)" for m in members)
            live.helpers.append(Helper("group-missing", members[0].key, f"AND({started},{filled}<{members[0].min_count})"))
        if s.key == "sluzby":
            pairs, conditional = _service_probes(s)
            for (key, issue), (gkey, codes) in conditional.items():
                cl = codelist(s.field(gkey).codelist)
                vals = ",".join(f"{c.val(gkey)}={_q(cl.display_of(code))}" for code in codes)
                live.helpers.append(Helper(issue, key, f"AND({started},{_blank(c.ref(key))},OR({vals}))"))
            for (key, issue), (a, b, bad) in pairs.items():
                la, lb = codelist(s.field(a).codelist), codelist(s.field(b).codelist)
                name = f"kontrola_{issue.replace('-', '_')}"
                lookups.append(Lookup(name, ISSUES[issue].title_cs, tuple(f"{la.display_of(x)}|{lb.display_of(y)}" for x, y in bad)))
                live.helpers.append(Helper(issue, key, f"AND({started},{_in(name, c.val(a) + _SEP + c.val(b))})"))
            funding = [f.key for f in s.fields if f.funding]
            if funding and COSTS_FIELD in c.index:
                total = f"SUM({','.join(c.ref(k) for k in funding)})"
                cond = [f"ISNUMBER({c.ref(COSTS_FIELD)})", f"{total}>{c.ref(COSTS_FIELD)}+{FUNDING_TOLERANCE}"]
                if ISSUES["funding-exceeds-costs"].severity == "warning" and s.comment_field is not None:
                    cond.append(_blank(c.ref(s.comment_field.key)))
                live.helpers.append(Helper("funding-exceeds-costs", COSTS_FIELD, f"AND({','.join(cond)})"))
            obec = next((f for f in s.fields if f.type == "code" and f.codelist == "obce"), None)
            if obec is not None and orp_ref is not None and "obce" in lists and "orp" in lists:
                orp_list = codelist("orp")
                # the ORP of every municipality of the list, row by row
                lookups.append(Lookup("kontrola_obec_orp", "ORP obce", tuple(orp_list.display_of(i.extra.get("orp")) or "" for i in lists["obce"])))
                declared = f"TRIM({orp_ref})"
                known = "TRUE" if scope.level != "stat" else _in("seznam_obce", c.val(obec.key))
                cond = [
                    f"LEN({c.val(obec.key)})>0",
                    _in("seznam_orp", declared),
                    f"SUMPRODUCT((seznam_obce={c.val(obec.key)})*(kontrola_obec_orp={declared}))=0",
                    known,
                ]
                live.helpers.append(Helper("outside-territory", obec.key, f"AND({','.join(cond)})"))
        if s.key == "plan" and "urovne_planu" in lists:
            top, orphan, bad_pairs = _level_tables(lists)
            lookups += [
                Lookup("kontrola_uroven_nahore", "Úroveň nedovolená nahoře", tuple(top)),
                Lookup("kontrola_uroven_bez_nadrazene", "Úroveň nedovolená pod položkou", tuple(orphan)),
                Lookup("kontrola_uroven_pary", "Nadřazená|podřízená nedovoleno", tuple(bad_pairs)),
            ]
            number, level = c.val("cislo"), c.val("uroven")
            a_col, b_col = col_letter(c.index["cislo"]), col_letter(c.index["uroven"])
            a_rng, b_rng = f"{{S}}${a_col}$2:${a_col}${live.rows + 1}", f"{{S}}${b_col}$2:${b_col}${live.rows + 1}"
            live.aux = [
                ("depth", f'IF(LEN({number})=0,0,LEN({number})-LEN(SUBSTITUTE({number},".",""))+1)'),
                ("parent", f'IF({{depth}}>1,LEFT({number},FIND("|",SUBSTITUTE({number},".","|",{{depth}}-1))-1),"")'),
                (
                    "parent_level",
                    f'IF({{parent}}="","",IFERROR(TRIM(INDEX({b_rng},MATCH({{parent}},{a_rng},0))),""))',
                ),
            ]
            problem = (
                f"IF({{depth}}=1,{_in('kontrola_uroven_nahore', level)},"
                f"IF({_in('seznam_urovne_planu', '{parent_level}')},"
                f"{_in('kontrola_uroven_pary', '{parent_level}' + _SEP + level)},"
                f"{_in('kontrola_uroven_bez_nadrazene', level)}))"
            )
            live.helpers.append(
                Helper("plan-level-depth", "uroven", f"AND({{depth}}>0,{_in('seznam_urovne_planu', level)},{problem})")
            )
        live.block_col = len(s.fields) + 1
        sheets[s.key] = live
    if ident is not None:
        live = SheetLive(sheet=ident)
        table_started = [
            f"SUMPRODUCT(--('{CHECKS_SHEET}'!${{col{i}}}$2:${{col{i}}}${sl.rows + 1}))>0" for i, sl in enumerate(sheets.values())
        ]
        empty = [f'TRIM({{S}}$B${ident.fields.index(f) + 2})="ano"' for f in ident.fields if f.declares_empty]
        live.started = f"OR({','.join([*table_started, *empty]) or 'FALSE'})"
        for i, f in enumerate(ident.fields, start=2):
            if f.required:
                live.helpers.append(Helper("required", f.key, f"AND({{started}},{_blank(f'{{S}}$B{i}')})"))
        live.block_col = 4
        sheets[ident.key] = live
    # columns on the helper sheet: per sheet its started column, aux columns, checks
    col = 0
    for live in sheets.values():
        live.first_helper = col
        col += 1 + len(live.aux)
        live.helpers = [Helper(h.code, h.field, h.expr, col + i) for i, h in enumerate(live.helpers)]
        col += len(live.helpers) + 1
    if ident is not None:
        started = sheets[ident.key].started
        for i, sl in enumerate(s_ for s_ in sheets.values() if s_.sheet.layout == "table"):
            started = started.replace(f"{{col{i}}}", col_letter(sl.first_helper))
        sheets[ident.key].started = started
    return LiveLayout(lookups=lookups, sheets=sheets)
