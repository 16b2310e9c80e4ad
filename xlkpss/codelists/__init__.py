"""Official code lists shipped with the package, and the territory (obec → ORP → kraj).

Codes are the keys; names are for people.  Every list resolves a value a person typed
(the code, the name or the dropdown text, ignoring case and extra spaces) to its item,
and suggests the closest valid value when it cannot.

Sources and provenance: ``data/PROVENANCE.md`` (ČSÚ Struktura území ČR 2026-01-01,
MPSV code lists 2025-08, zákon 108/2006 Sb. for § and allowed forms).
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from xlkpss.collate import czech_key

__all__ = [
    "CodeItem",
    "CodeList",
    "Municipality",
    "Territory",
    "TerritoryError",
    "codelist",
    "find_territory",
    "fold_name",
    "is_related_type",
    "municipalities",
    "normalize_key",
    "orps",
    "regions",
    "territory",
]


def normalize_key(value: object) -> str:
    """Case-, space- and dash-insensitive lookup key ("  Domovy  pro seniory" == "domovy pro seniory")."""
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    text = text.replace("–", "-").replace("—", "-")
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class CodeItem:
    code: str
    label: str
    display: str
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class CodeList:
    """An ordered list of items with lookup by code, label, dropdown text or alias."""

    def __init__(self, name: str, title: str, items: Iterable[CodeItem]):
        self.name = name
        self.title = title
        self.items: tuple[CodeItem, ...] = tuple(items)
        self._by_code = {i.code: i for i in self.items}
        self._position = {i.code: n for n, i in enumerate(self.items)}
        #: resolve() of texts already looked up (a merge resolves the same few texts thousands of times)
        self._resolved: dict[str, CodeItem | None] = {}
        self._index: dict[str, CodeItem | None] = {}
        for item in self.items:
            for text in (item.code, item.label, item.display, *item.aliases):
                key = normalize_key(text)
                if not key:
                    continue
                prev = self._index.get(key, item)
                # The same text naming two items (two "Březina") is ambiguous: store None.
                self._index[key] = item if prev is item or prev == item else None
        # codes always win over ambiguous names
        for item in self.items:
            self._index[normalize_key(item.code)] = item

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> CodeItem:
        return self._by_code[code]

    def display_of(self, code: str | None) -> str | None:
        """What a person reads for ``code`` (None for no code or a code not in the list)."""
        item = self._by_code.get(code) if code else None
        return item.display if item else None

    def codes(self) -> list[str]:
        return [i.code for i in self.items]

    def displays(self) -> list[str]:
        """Texts offered in the dropdown, in list order."""
        return [i.display for i in self.items]

    def resolve(self, value: object) -> CodeItem | None:
        """The item a typed value means, or None (unknown or ambiguous)."""
        if value is None:
            return None
        if type(value) is str:
            try:
                return self._resolved[value]
            except KeyError:
                item = self._resolved[value] = self._index.get(normalize_key(value))
                return item
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self._index.get(normalize_key(value))

    def position(self, value: object) -> int | None:
        """Where the item a value means stands in the list (0-based), or None."""
        item = self.resolve(value)
        return self._position[item.code] if item is not None else None

    def is_ambiguous(self, value: object) -> bool:
        key = normalize_key(value)
        return key in self._index and self._index[key] is None

    def suggest(self, value: object) -> str | None:
        """The closest dropdown text, for "did you mean …" in messages."""
        key = normalize_key(value)
        if not key:
            return None
        candidates = {normalize_key(i.display): i.display for i in self.items}
        candidates.update({normalize_key(i.label): i.display for i in self.items})
        match = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
        if match:
            return candidates[match[0]]
        # "domovy pro seniory" inside "§49 Domovy pro seniory"
        for k, display in candidates.items():
            if key in k or (len(k) > 3 and k in key):
                return display
        return None

    def subset(self, codes: Iterable[str], name: str | None = None) -> CodeList:
        wanted = set(codes)
        return CodeList(name or self.name, self.title, [i for i in self.items if i.code in wanted])


# ---------------------------------------------------------------------------
# Territory
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    orp: str
    orp_name: str
    kraj: str
    kraj_name: str
    population: int | None
    okres_name: str


_LEVEL_WORDS = {"obec": "obec", "orp": "ORP", "kraj": "kraj"}
_CODE_HINTS = {
    "obec": "šestimístný kód ČSÚ nebo název, např. 562971 nebo Chomutov",
    "orp": "čtyřmístný kód ČSÚ nebo název, např. 4203 nebo Chomutov",
    "kraj": "kód NUTS 3 nebo název, např. CZ042 nebo Ústecký kraj",
}


class TerritoryError(ValueError):
    """An obec / ORP / kraj that cannot be resolved: unknown (``suggestions``: close
    matches), ambiguous (``candidates``) or not inside the wider territory given
    (``outside``).  ``str()`` stays ``level:value[:parent level:parent]`` for programs;
    ``message()`` is the Czech sentence for people."""

    def __init__(self, text: str, *, level: str = "", value: str = "", candidates: tuple[Territory, ...] = (),
                 suggestions: tuple[Territory, ...] = (), outside: Territory | None = None,
                 found: Territory | None = None):  # fmt: skip
        super().__init__(text)
        self.level = level or text.split(":")[0]
        self.value = value or (text.split(":") + [""])[1]
        self.candidates = candidates
        self.suggestions = suggestions
        self.outside = outside
        self.found = found

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates)

    def message(self) -> str:
        """What went wrong, in Czech, with the candidates or close matches and their codes."""
        word = _LEVEL_WORDS.get(self.level, self.level)
        if self.candidates:
            listed = "; ".join(c.label() for c in self.candidates)
            return f"název „{self.value}“ nese více území ({word}): {listed} – zadejte kód"
        if self.outside is not None:
            what = self.found.label() if self.found is not None else f"{word} „{self.value}“"
            return f"{what} neleží v území {self.outside.describe()} ({self.outside.code})"
        looks_like_code = self.value.strip()[:1].isdigit() or (self.level == "kraj" and self.value.strip().upper().startswith("CZ"))
        what = {"obec": "kód obce", "orp": "kód ORP", "kraj": "kód kraje"}[self.level] if looks_like_code else (
            {"obec": "název obce", "orp": "název ORP", "kraj": "název kraje"}[self.level])
        text = f"neznámý {what} „{self.value}“ ({_CODE_HINTS[self.level]})"
        if self.suggestions:
            text += "; měli jste na mysli: " + "; ".join(c.label() for c in self.suggestions) + "?"
        return text


@dataclass(frozen=True)
class Territory:
    """A territory at one level: the whole state, a kraj, an ORP or one obec."""

    level: str  # "stat" | "kraj" | "orp" | "obec"
    code: str
    name: str

    @property
    def municipalities(self) -> list[Municipality]:
        return list(_members(self.level, self.code))

    def contains(self, obec_code: str) -> bool:
        m = municipalities().get(obec_code)
        if m is None:
            return False
        if self.level == "stat":
            return True
        return {"kraj": m.kraj, "orp": m.orp, "obec": m.code}[self.level] == self.code

    @property
    def population(self) -> int | None:
        return _population(self.level, self.code)

    def describe(self) -> str:
        prefix = {"stat": "", "kraj": "", "orp": "ORP ", "obec": "obec "}[self.level]
        return f"{prefix}{self.name}"

    def label(self) -> str:
        """Name and code, e.g. ``Březina (obec 581763, ORP Tišnov)``, ``Chomutov (ORP 4203)``."""
        if self.level == "obec":
            m = municipalities()[self.code]
            return f"{self.name} (obec {self.code}, ORP {m.orp_name}, okres {m.okres_name})"
        if self.level == "orp":
            return f"{self.name} (ORP {self.code}, {orps()[self.code]['nazev_kraje']})"
        return f"{self.name} ({self.code})"


STATE = Territory("stat", "CZ", "Česká republika")


@lru_cache(maxsize=512)
def _members(level: str, code: str) -> tuple[Municipality, ...]:
    """The obce of a territory (the code lists never change while the program runs)."""
    allm = municipalities()
    if level == "stat":
        return tuple(allm.values())
    if level in ("kraj", "orp"):
        return _grouped().get((level, code), ())
    return (allm[code],)


@cache
def _grouped() -> dict[tuple[str, str], tuple[Municipality, ...]]:
    """("kraj" | "orp", code) → its obce in the code list's order: one pass over the 6,258
    obce instead of one a territory (a worker meets every ORP of the country)."""
    groups: dict[tuple[str, str], list[Municipality]] = {}
    for m in municipalities().values():
        groups.setdefault(("kraj", m.kraj), []).append(m)
        groups.setdefault(("orp", m.orp), []).append(m)
    return {k: tuple(v) for k, v in groups.items()}


@lru_cache(maxsize=512)
def _population(level: str, code: str) -> int | None:
    pops = [m.population for m in _members(level, code)]
    return sum(p for p in pops if p) if any(pops) else None


def fold_name(value: object) -> str:
    """A name as a lookup key insensitive to case, spacing, dashes and diacritics
    (``"ÚSTECKÝ  kraj"`` == ``"ustecky kraj"``)."""
    text = unicodedata.normalize("NFD", normalize_key(value))
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=3)
def _name_index(level: str) -> dict[str, tuple[str, ...]]:
    """Folded name (and other spellings) → codes of the territories of ``level`` so named."""
    index: dict[str, list[str]] = {}

    def add(text: str, code: str) -> None:
        codes = index.setdefault(fold_name(text), [])
        if code not in codes:
            codes.append(code)

    if level == "obec":
        for m in municipalities().values():
            add(m.name, m.code)
            add(f"{m.name} (ORP {m.orp_name})", m.code)
            add(f"{m.code} {m.name}", m.code)
    elif level == "orp":
        for r in orps().values():
            add(r["nazev_orp"], r["kod_orp"])
            add(f"ORP {r['nazev_orp']}", r["kod_orp"])
    else:
        for r in regions().values():
            name = r["nazev_kraje"]
            add(name, r["kod_kraje"])
            add(r["zkratka"], r["kod_kraje"])
            add(r["kod_kraje_csu"], r["kod_kraje"])
            if name.endswith(" kraj"):
                add(name[: -len(" kraj")], r["kod_kraje"])  # „Ústecký“
            if name.startswith("Kraj "):
                add(name[len("Kraj "):], r["kod_kraje"])  # „Vysočina“
            if name == "Hlavní město Praha":
                add("Praha", r["kod_kraje"])
    return {k: tuple(v) for k, v in index.items()}


def _make(level: str, code: str) -> Territory:
    if level == "obec":
        return Territory("obec", code, municipalities()[code].name)
    if level == "orp":
        return Territory("orp", code, orps()[code]["nazev_orp"])
    return Territory("kraj", code, regions()[code]["nazev_kraje"])


def _by_code(level: str, text: str) -> str | None:
    if level == "obec":
        return text if text in municipalities() else None
    if level == "orp":
        return text if text in orps() else None
    return text.upper() if text.upper() in regions() else None


def _sorted(ts: Iterable[Territory]) -> tuple[Territory, ...]:
    return tuple(sorted(ts, key=lambda t: (czech_key(t.name), czech_key(t.label()), t.code)))


def find_territory(level: str, value: object, *, within: Territory | None = None) -> Territory:
    """The obec, ORP or kraj (``level``) a person means by ``value``: its code (``562971``,
    ``4203``, ``CZ042``) or its name, insensitive to case and diacritics (``Údlice``,
    ``chomutov``, ``Ústecký kraj``, ``ustecky``).  A name several territories carry is
    resolved inside ``within`` when given.  Raises ``TerritoryError``: ambiguous (with the
    candidates), unknown (with close matches) or outside ``within``."""
    if level not in _LEVEL_WORDS:
        raise ValueError(f"unknown territory level {level!r}")
    text = " ".join(str(value).split())
    code = _by_code(level, text)
    if code is not None:
        found = _make(level, code)
    else:
        index = _name_index(level)
        codes = index.get(fold_name(text), ())
        if not codes:
            close = difflib.get_close_matches(fold_name(text), list(index), n=8, cutoff=0.75)
            seen = dict.fromkeys(c for k in close for c in index[k])
            suggestions = tuple(_make(level, c) for c in seen)[:5]  # closest first
            raise TerritoryError(f"{level}:{value}", level=level, value=str(value), suggestions=suggestions)
        candidates = [_make(level, c) for c in codes]
        if len(candidates) > 1 and within is not None:
            inside = [c for c in candidates if _inside(c, within)]
            candidates = inside or candidates
        if len(candidates) > 1:
            raise TerritoryError(f"{level}:{value}", level=level, value=str(value), candidates=_sorted(candidates))
        found = candidates[0]
    if within is not None and not _inside(found, within):
        raise TerritoryError(f"{level}:{value}:{within.level}:{within.code}", level=level, value=str(value), outside=within,
                             found=found)  # fmt: skip
    return found


def _inside(t: Territory, wider: Territory) -> bool:
    if wider.level == "stat":
        return True
    if t.level == "obec":
        return t.code in {m.code for m in wider.municipalities}
    if t.level == "orp":
        return wider.level == "kraj" and orps()[t.code]["kod_kraje"] == wider.code
    return False


def territory(*, obec: str | None = None, orp: str | None = None, kraj: str | None = None) -> Territory:
    """The narrowest territory given, each by its code or name (``find_territory``); an
    obec must lie in the ORP given, an ORP in the kraj.  Raises TerritoryError."""
    wider = find_territory("kraj", kraj) if kraj else None
    if orp:
        wider = find_territory("orp", orp, within=wider)
    if obec:
        return find_territory("obec", obec, within=wider)
    return wider or STATE


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def municipalities() -> dict[str, Municipality]:
    out = {}
    for r in _read_csv("obce.csv"):
        pop = r.get("pocet_obyvatel") or ""
        out[r["kod_obce"]] = Municipality(
            code=r["kod_obce"],
            name=r["nazev_obce"],
            orp=r["kod_orp"],
            orp_name=r["nazev_orp"],
            kraj=r["kod_kraje"],
            kraj_name=r["nazev_kraje"],
            population=int(pop) if pop.isdigit() else None,
            okres_name=r["nazev_okresu"],
        )
    return out


@lru_cache(maxsize=1)
def orps() -> dict[str, dict[str, str]]:
    return {r["kod_orp"]: r for r in _read_csv("orp.csv")}


@lru_cache(maxsize=1)
def regions() -> dict[str, dict[str, str]]:
    return {r["kod_kraje"]: r for r in _read_csv("kraje.csv")}


# ---------------------------------------------------------------------------
# Building the named lists
# ---------------------------------------------------------------------------

_FORM_LABELS = {"amb": "ambulantní", "pob": "pobytová", "ter": "terénní"}
_CAPACITY_LABELS = {
    "luzka": "lůžka",
    "klient": "klienti",
    "kontakt": "kontakty",
    "interv": "intervence",
    "hovor": "hovory",
}


def _druhy() -> CodeList:
    label_to_form = {v: k for k, v in _FORM_LABELS.items()}
    items = []
    for r in _read_csv("druhy_sluzeb.csv"):
        par = r["paragraf"]
        display = f"{par} {r['nazev']}" if par else r["nazev"]
        forms = tuple(label_to_form[f] for f in r["formy"].split("|") if f)
        items.append(
            CodeItem(
                code=r["kod"],
                label=r["nazev"],
                display=display,
                aliases=(r["nazev_mpsv"], r["mpsv_open_data_id"]) + ((par,) if par else ()),
                extra={
                    "paragraf": par,
                    "kategorie": r["kategorie"],
                    "formy": forms,
                    "mpsv_open_data_id": r["mpsv_open_data_id"],
                },
            )
        )
    items.extend(_related_items())
    return CodeList("druhy_sluzeb", "Druhy sociálních služeb (zákon 108/2006 Sb.)", items)


def _related_items() -> list[CodeItem]:
    """„související služba (není druh podle zákona)“ from the spec's ``[related_services]``:
    the value an unregistered related service may have; no §, no forms, ``related``."""
    from xlkpss.spec import load_spec

    rel = load_spec().related
    if not rel.get("druh"):
        return []
    return [
        CodeItem(
            code=rel["druh"],
            label=rel["label"],
            display=rel["label"],
            aliases=("související služba", "související", "neregistrovaná služba"),
            extra={"paragraf": "", "kategorie": rel.get("kategorie", ""), "formy": (), "related": True},
        )
    ]


def is_related_type(code: object) -> bool:
    """Is ``code`` the druh „související služba (není druh podle zákona)“?"""
    druhy = codelist("druhy_sluzeb")
    return bool(code) and code in druhy and bool(druhy.get(str(code)).extra.get("related"))


def _simple(name: str, title: str, filename: str, labels: dict[str, str] | None = None, ciselnik: str | None = None) -> CodeList:
    items = []
    for r in _read_csv(filename):
        if ciselnik and r.get("ciselnik") != ciselnik:
            continue
        label = labels.get(r["kod"], r["nazev"]) if labels else r["nazev"]
        aliases = tuple(a for a in (r["nazev"], r.get("mpsv_open_data_id", "")) if a and a != label)
        items.append(CodeItem(code=r["kod"], label=label, display=label, aliases=aliases))
    return CodeList(name, title, items)


@cache
def _obce_in_order() -> tuple[Municipality, ...]:
    """Every municipality in Czech alphabetical order of its name (then code): sorted once
    per process, every territory's list is a filter of it."""
    return tuple(sorted(municipalities().values(), key=lambda m: (czech_key(m.name), m.code)))


@cache
def _rank_in_order() -> dict[str, int]:
    return {m.code: i for i, m in enumerate(_obce_in_order())}


def _obce(munis: Iterable[Municipality], name: str = "obce") -> CodeList:
    # the obce in the order of _obce_in_order(), without a pass over all of them
    order, rank = _obce_in_order(), _rank_in_order()
    ordered = [order[i] for i in sorted({rank[m.code] for m in munis if m.code in rank})]
    counts: dict[str, int] = {}
    for m in ordered:
        counts[normalize_key(m.name)] = counts.get(normalize_key(m.name), 0) + 1
    items = []
    for m in ordered:
        unique = counts[normalize_key(m.name)] == 1
        # Names repeat across the country but never within one ORP (checked in tests).
        display = m.name if unique else f"{m.name} (ORP {m.orp_name})"
        aliases = (f"{m.name} (ORP {m.orp_name})", f"{m.name} ({m.code})", f"{m.code} {m.name}")
        items.append(CodeItem(code=m.code, label=m.name, display=display, aliases=aliases, extra={"orp": m.orp, "kraj": m.kraj}))
    return CodeList(name, "Obce", items)


def _spec_list(name: str) -> CodeList:
    from xlkpss.spec import load_spec

    raw = load_spec().codelists[name]
    items = []
    for code, label, *rest in raw["items"]:  # [code, label] or [code, label, [other spellings]]
        items.append(CodeItem(code=code, label=label, display=label, aliases=tuple(rest[0]) if rest else ()))
    return CodeList(name, raw.get("title", name), items)


@cache
def _builtin(name: str) -> CodeList:
    if name == "druhy_sluzeb":
        return _druhy()
    if name == "cilove_skupiny":
        return _simple(name, "Cílové skupiny (MPSV)", "cilove_skupiny.csv")
    if name == "vekove_skupiny":
        return _simple(name, "Věkové skupiny (MPSV)", "vekove_skupiny.csv")
    if name == "formy":
        return _simple(name, "Formy sociálních služeb", "formy_a_kapacity.csv", _FORM_LABELS, "FormaSocSluzby")
    if name == "typy_kapacity":
        return _simple(name, "Typy kapacity", "formy_a_kapacity.csv", _CAPACITY_LABELS, "TypKapacitySocialniSluzby")
    if name == "kraje":
        return CodeList(
            name,
            "Kraje",
            [
                CodeItem(code=r["kod_kraje"], label=r["nazev_kraje"], display=r["nazev_kraje"], aliases=(r["zkratka"],))
                for r in regions().values()
            ],
        )
    if name == "orp":
        return CodeList(
            name,
            "Obce s rozšířenou působností",
            [
                CodeItem(code=r["kod_orp"], label=r["nazev_orp"], display=r["nazev_orp"], extra={"kraj": r["kod_kraje"]})
                for r in sorted(orps().values(), key=lambda r: czech_key(r["nazev_orp"]))
            ],
        )
    if name == "obce":
        return _obce(municipalities().values())
    return _spec_list(name)


def codelist(name: str, scope: Territory | None = None) -> CodeList:
    """A code list by name; ``obce`` and ``orp`` can be limited to a territory."""
    if scope is not None and scope.level != "stat":
        if name == "obce":
            return _scoped_obce(scope)
        if name == "orp" and scope.level == "kraj":
            base = _builtin("orp")
            return base.subset([i.code for i in base if i.extra["kraj"] == scope.code])
        if name == "orp" and scope.level in ("orp", "obec"):
            code = scope.code if scope.level == "orp" else municipalities()[scope.code].orp
            return _builtin("orp").subset([code])
        if name == "kraje":
            kraj = {"kraj": scope.code}.get(scope.level)
            if kraj is None:
                ob = scope.municipalities[0]
                kraj = ob.kraj
            return _builtin("kraje").subset([kraj])
    return _builtin(name)


def _scoped_obce(scope: Territory) -> CodeList:
    if scope.level == "obec":
        # an obec's own services may be provided elsewhere in its ORP
        return _obce_of(municipalities()[scope.code].orp, "orp")
    return _obce_of(scope.code, scope.level)


@lru_cache(maxsize=512)  # every ORP and kraj of the country (206 + 14) stays built
def _obce_of(code: str, level: str) -> CodeList:
    return _obce(_members(level, code))
