"""A reproducible national-scale workload of filled submissions.

Presets
-------
``national``  every obec of the country (6,258) with a services submission, every ORP
              (206) with a plan evaluation of 50–300 items, 2,000 provider files,
              20 files re-saved by LibreOffice: ~8,460 files.
``region``    the same for one kraj (default Ústecký, CZ042: 354 obce, 16 ORP, ~150
              providers, 5 LibreOffice files): ~520 files.  ``--orps N`` keeps only the
              first N ORPs of the kraj (the CI smoke test uses 2).

Sizes are "realistic": an obec lists the services available on its territory (a few
in a village, ~150 in Praha; grows with the square root of the population), a provider
1–60 services (most a handful), an ORP plan 50–300 items (priority → cíl → opatření →
aktivita) and 0–6 projects.  About 0.4 % of rows carry one error each (text in a
number cell, an unknown code, a bad IČO, a missing required value, a negative
capacity), 0.4 % a warning (funding above costs, overspent budget; some explained in
the comment column), and every ~400th file has an invalid identification (the whole
file is rejected).  The manifest records all of it, so a run can check that
*rows merged + rows excluded = rows generated* exactly.

Files are written through :mod:`benchmarks.xlsxgen` (one real ``build_template``
skeleton per kind × territory, rows patched in), cached under
``/tmp/xlkpss-bench/<preset>-s<seed>`` and reused while the generator and the spec
fingerprints are unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(os.environ.get("XLKPSS_BENCH_DIR", "/tmp/xlkpss-bench"))
GENERATOR_VERSION = "3"
YEAR = 2026
ERROR_RATE = 0.004
WARNING_RATE = 0.004
REJECT_EVERY = 400


@dataclass(frozen=True)
class Preset:
    name: str
    kraj: str | None  # None = the whole country
    providers: int | None  # None = proportional to the population (2,000 nationally)
    libreoffice: int
    orps: int | None = None  # keep only the first N ORPs (by code) of the territory


PRESETS = {
    "national": Preset("national", None, 2000, 20),
    "region": Preset("region", "CZ042", None, 5),
}
NATIONAL_PROVIDERS = 2000


@dataclass
class FileEntry:
    path: str  # relative to the workload's files/ folder
    kind: str  # sluzby | plan
    role: str  # obec | orp | poskytovatel
    kod_orp: str
    kod_kraje: str
    rows: dict[str, int] = field(default_factory=dict)  # table sheet key -> data rows
    error_rows: dict[str, int] = field(default_factory=dict)  # rows with one error each
    warning_rows: dict[str, int] = field(default_factory=dict)
    rejected: bool = False  # identification made invalid on purpose
    libreoffice: bool = False
    bytes: int = 0


@dataclass
class Workload:
    root: Path
    preset: str
    seed: int
    files: list[FileEntry]
    generated_s: float = 0.0
    reused: bool = False

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    def paths(self) -> list[Path]:
        return [self.files_dir / f.path for f in self.files]

    def total_rows(self) -> int:
        return sum(sum(f.rows.values()) for f in self.files)

    def expected_excluded(self) -> int:
        return sum(sum(f.rows.values()) if f.rejected else sum(f.error_rows.values()) for f in self.files)


# --------------------------------------------------------------------------------------
# content
# --------------------------------------------------------------------------------------

_FIRST = ["Jana", "Petr", "Marie", "Jan", "Eva", "Tomáš", "Lenka", "Martin", "Kateřina", "Pavel", "Hana", "Jiří", "Lucie", "Josef"]
_LAST = ["Nováková", "Svoboda", "Dvořáková", "Černý", "Procházková", "Kučera", "Veselá", "Horák", "Němcová", "Marek", "Pokorná", "Král"]
_PROVIDER_FORMS = ["z. ú.", "o. p. s.", "p. o.", "z. s.", "s. r. o."]
_PROVIDER_WORDS = ["Diakonie", "Charita", "Domov", "Centrum", "Sociální služby", "Naděje", "Pohoda", "Slunce", "Most", "Podané ruce"]
_ACTIVITIES = [
    "rozšířit kapacitu pečovatelské služby", "zajistit odlehčovací služby", "podpořit neformální pečující",
    "vydávat katalog sociálních služeb", "zřídit sociální šatník", "rozvíjet terénní programy",
    "podpořit dobrovolnictví", "zajistit krizové bydlení", "vyčlenit část rozpočtu na provoz MÚSS",
    "vytvořit pravidla spolufinancování", "zmapovat potřeby seniorů", "zajistit dopravu do stacionáře",
]
_SOURCES = ["rozpočet obce", "dotace kraje", "ESF+", "MPSV", "rozpočet města", "nadace"]


def ico_check_digit(first7: str) -> int:
    total = sum(int(d) * w for d, w in zip(first7, range(8, 1, -1)))
    return (11 - total % 11) % 10


def make_ico(rng: random.Random) -> str:
    first7 = f"{rng.randrange(0, 10**7):07d}"
    return first7 + str(ico_check_digit(first7))


def bad_ico(good: str) -> str:
    return good[:7] + str((int(good[7]) + 1) % 10)


class _Lists:
    """Display texts of the code lists (what a person picks from the dropdown)."""

    def __init__(self) -> None:
        from xlkpss.codelists import codelist

        # the types of the law (not „související služba“, which only an unregistered service may have)
        self.druhy = [i for i in codelist("druhy_sluzeb") if not i.extra.get("related")]
        self.formy = {i.code: i.display for i in codelist("formy")}
        self.kapacity = {i.code: i.display for i in codelist("typy_kapacity")}
        self.skupiny = codelist("cilove_skupiny").displays()
        self.submitter = {i.code: i.display for i in codelist("typ_predkladatele")}
        self.urovne = {i.code: i.display for i in codelist("urovne_planu")}
        self.stavy = [i.display for i in codelist("stavy_planu")]
        self.stavy_projektu = codelist("stavy_projektu").displays()
        self.oblasti = codelist("oblasti_planovani").displays()
        self.national_obce = {i.code: i.display for i in codelist("obce")}


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    ascii_ = (first + "." + last).lower()
    for a, b in zip("áčďéěíňóřšťúůýž", "acdeeinorstuuyz"):
        ascii_ = ascii_.replace(a, b)
    return f"{first} {last}", ascii_


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(2, 7)}{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def _service_row(rng: random.Random, L: _Lists, provider: tuple[str, str], obce: list[str], used_ids: set[str]) -> dict[str, Any]:
    druh = rng.choice(L.druhy)
    forms = druh.extra.get("formy") or ("amb",)
    forma = rng.choice(forms)
    typ = "luzka" if forma == "pob" else rng.choice(("klient", "klient", "kontakt", "interv"))
    registered = rng.random() > 0.05
    ident = None
    if registered:
        while True:
            ident = f"{rng.randrange(1_000_000, 10_000_000)}"
            if ident not in used_ids:
                used_ids.add(ident)
                break
    obec = rng.choice(obce)
    cap = rng.randint(5, 150)
    costs = rng.randrange(200_000, 60_000_000, 100)
    shares = [rng.random() for _ in range(6)]
    scale = rng.uniform(0.6, 1.0) / sum(shares)
    funding = [int(costs * s * scale) for s in shares]
    if rng.random() < 0.4:
        funding[4] = 0
    groups = rng.sample(L.skupiny, rng.randint(1, 3))
    row: dict[str, Any] = {
        "identifikator": ident,
        "registrovana": "ano" if registered else "ne",
        "nazev_sluzby": f"{druh.label} {obec}"[:250],
        "poskytovatel": provider[0],
        "ico_poskytovatele": provider[1],
        "druh": druh.display,
        "forma": L.formy[forma],
        "kapacita": cap,
        "typ_kapacity": L.kapacity[typ],
        "pocet_uzivatelu": int(cap * rng.uniform(0.8, 3.0)),
        "uvazky": round(rng.uniform(0.5, 60), 1),
        "obec": obec,
        "naklady": costs,
        "zdroj_mpsv_kraj": funding[0],
        "zdroj_obec": funding[1],
        "zdroj_uhrady": funding[2],
        "zdroj_zp": funding[3],
        "zdroj_eu": funding[4],
        "zdroj_ostatni": funding[5],
    }
    for i, g in enumerate(groups, start=1):
        row[f"cilova_skupina_{i}"] = g
    return row


_SERVICE_ERRORS = [
    ("kapacita", lambda r, rng: f"cca {r['kapacita']}"),  # not-an-integer
    ("ico_poskytovatele", lambda r, rng: bad_ico(r["ico_poskytovatele"])),  # invalid-ico
    ("druh", lambda r, rng: "Domov seniorů XY"),  # unknown-code
    ("kapacita", lambda r, rng: -3),  # below-minimum
    ("nazev_sluzby", lambda r, rng: None),  # required
    ("uvazky", lambda r, rng: "hodně"),  # not-a-number
]
_PLAN_ERRORS = [
    ("rozpocet", lambda r, rng: "hodně"),  # not-a-number
    ("stav", lambda r, rng: "hotovo"),  # unknown-code
    ("nazev", lambda r, rng: None),  # required
]


def _inject(rng: random.Random, rows: list[dict[str, Any]], kind: str) -> tuple[int, int]:
    """Make ~0.4 % of rows wrong (one error each) and ~0.4 % suspicious (a warning)."""
    errors = warnings = 0
    for r in rows:
        x = rng.random()
        if x < ERROR_RATE:
            key, make = rng.choice(_SERVICE_ERRORS if kind == "sluzby" else _PLAN_ERRORS)
            r[key] = make(r, rng)
            errors += 1
        elif x < ERROR_RATE + WARNING_RATE:
            if kind == "sluzby":
                r["naklady"] = max(1000, int(sum(r[k] for k in ("zdroj_mpsv_kraj", "zdroj_obec", "zdroj_uhrady")) * 0.5))
                if rng.random() < 0.5:
                    r["poznamka"] = "Zdroje zahrnují i doplatek z minulého roku."
            else:
                if r.get("rozpocet") is None:
                    r["rozpocet"] = 10_000
                r["cerpano"] = r["rozpocet"] + rng.randint(1_000, 100_000)
                if rng.random() < 0.5:
                    r["komentar"] = "Navýšeno rozpočtovým opatřením."
            warnings += 1
    return errors, warnings


def _plan_rows(rng: random.Random, n: int, L: _Lists) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(number: str, level: str) -> bool:
        if len(out) >= n:
            return False
        row: dict[str, Any] = {"cislo": number, "uroven": L.urovne[level]}
        if level == "aktivita":
            budget = rng.randrange(10_000, 5_000_000, 100)
            status = rng.choice(L.stavy)
            row.update(
                nazev=rng.choice(_ACTIVITIES),
                realizator=rng.choice(["Odbor sociálních věcí", "MÚSS", "Charita", "koordinátor KPSS"]),
                termin=f"{rng.randint(1, 12)}/{YEAR}",
                rozpocet=budget,
                cerpano=int(budget * rng.uniform(0, 1)),
                zdroj_financovani=rng.choice(_SOURCES),
                indikator="počet podpořených osob",
                cilova_hodnota=rng.randint(1, 200),
                stav=status,
                pokracuje=rng.choice(["ano", "ne"]),
            )
            if status in ("splněno", "částečně splněno"):
                row["dosazena_hodnota"] = rng.randint(1, 200)
        else:
            row["nazev"] = f"{rng.choice(_ACTIVITIES).capitalize()} ({level} {number})"
            if level != "priorita":
                row["popis"] = "Zajistit dostupnost služeb pro všechny cílové skupiny v území."
            row["cilova_skupina"] = rng.choice(L.oblasti)
        out.append(row)
        return True

    p = 0
    while len(out) < n:
        p += 1
        add(str(p), "priorita")
        for c in range(1, rng.randint(2, 4) + 1):
            if not add(f"{p}.{c}", "cil"):
                break
            for o in range(1, rng.randint(1, 3) + 1):
                if not add(f"{p}.{c}.{o}", "opatreni"):
                    break
                for a in range(1, rng.randint(1, 4) + 1):
                    if not add(f"{p}.{c}.{o}.{a}", "aktivita"):
                        break
    return out


def _project_rows(rng: random.Random, L: _Lists) -> list[dict[str, Any]]:
    return [
        {
            "projekt": f"{rng.choice(['Rekonstrukce', 'Vybudování', 'Rozšíření'])} {rng.choice(['domova pro seniory', 'sociálních bytů', 'denního stacionáře'])}",
            "realizator": rng.choice(["město", "kraj", "Charita"]),
            "termin_dokonceni": str(rng.randint(YEAR, YEAR + 4)),
            "rozpocet": rng.randrange(100_000, 50_000_000, 1000),
            "stav": rng.choice(L.stavy_projektu),
        }
        for _ in range(rng.randint(0, 6))
    ]


def services_rows_for(population: int | None, rng: random.Random) -> int:
    """Services on an obec's territory: ~4 in a village, ~15 in a town of 10,000, ~150 in Praha."""
    pop = population or 300
    n = 2 + math.sqrt(pop) / 8 * rng.lognormvariate(0, 0.3)
    return max(1, min(400, int(n)))


def provider_rows_for(rng: random.Random) -> int:
    return max(1, min(60, 1 + int(rng.expovariate(1 / 5))))


# --------------------------------------------------------------------------------------
# planning the files (cheap, in the parent) and writing them (in workers)
# --------------------------------------------------------------------------------------


@dataclass
class _Task:
    kind: str
    role: str
    scope: str  # "orp:XXXX" | "stat"
    path: str
    kod_orp: str
    kod_kraje: str
    subject: str  # kod_obce, kod_orp or provider number
    nrows: int


def _plan_files(preset: Preset, seed: int) -> list[_Task]:
    from xlkpss.codelists import municipalities, orps

    rng = random.Random(f"{seed}:plan")
    munis = municipalities()
    all_orps = sorted(o for o, r in orps().items() if preset.kraj is None or r["kod_kraje"] == preset.kraj)
    if preset.orps:
        all_orps = all_orps[: preset.orps]
    chosen = set(all_orps)
    tasks: list[_Task] = []
    for code in all_orps:
        o = orps()[code]
        tasks.append(_Task("plan", "orp", f"orp:{code}", f"plany/{o['kod_kraje']}/plan_orp_{code}.xlsx", code, o["kod_kraje"], code, rng.randint(50, 300)))
    for m in sorted(munis.values(), key=lambda m: m.code):
        if m.orp in chosen:
            n = services_rows_for(m.population, rng)
            tasks.append(_Task("sluzby", "obec", f"orp:{m.orp}", f"obce/{m.kraj}/{m.orp}/sluzby_{m.code}.xlsx", m.orp, m.kraj, m.code, n))
    # providers: spread over ORPs by population (they sit where people are)
    pops: dict[str, int] = {}
    for m in munis.values():
        pops[m.orp] = pops.get(m.orp, 0) + (m.population or 0)
    national_pop = sum(pops.values())
    local_pop = sum(pops[o] for o in all_orps)
    count = preset.providers if preset.providers is not None else round(NATIONAL_PROVIDERS * local_pop / national_pop)
    weights = [pops[o] for o in all_orps]
    for i in range(count):
        code = rng.choices(all_orps, weights)[0]
        o = orps()[code]
        tasks.append(
            _Task("sluzby", "poskytovatel", "stat", f"poskytovatele/{o['kod_kraje']}/sluzby_poskytovatel_{i:05d}.xlsx", code, o["kod_kraje"], str(i), provider_rows_for(rng))
        )
    return tasks


_SKELETONS: dict[tuple[str, str], Any] = {}
_LISTS: _Lists | None = None


def _skeleton(kind: str, scope: str, tmp: Path):
    from benchmarks.xlsxgen import Skeleton
    from xlkpss.codelists import territory
    from xlkpss.spec import get_template
    from xlkpss.template import build_template

    key = (kind, scope)
    if key not in _SKELETONS:
        if len(_SKELETONS) > 8:
            _SKELETONS.clear()
        terr = territory(orp=scope.split(":")[1]) if scope.startswith("orp:") else None
        path = tmp / f"skeleton_{kind}_{scope.replace(':', '_')}_{os.getpid()}.xlsx"
        build_template(kind, path, year=YEAR, scope=terr)
        t = get_template(kind)
        sheets = [s.name for s in t.table_sheets]
        _SKELETONS[key] = Skeleton.from_file(path, t.sheet("identifikace").name, sheets)
        path.unlink()
    return _SKELETONS[key]


def _ident_values(task: _Task, rng: random.Random, L: _Lists) -> tuple[dict[str, Any], tuple[str, str] | None]:
    from xlkpss.codelists import municipalities, orps

    o = orps()[task.kod_orp]
    name, mail = _person(rng)
    values: dict[str, Any] = {
        "kod_orp": o["nazev_orp"],
        "kod_kraje": o["nazev_kraje"],
        "rok": YEAR,
        "zpracoval": name,
        "telefon": _phone(rng),
        "datum_vyplneni": dt.date(YEAR, rng.randint(1, 3), rng.randint(1, 28)),
    }
    provider = None
    if task.role == "obec":
        m = municipalities()[task.subject]
        values.update(typ_predkladatele=L.submitter["obec"], kod_obce=m.code, ico=make_ico(rng), nazev=f"Obec {m.name}")
        values["email"] = f"{mail}@obec-{task.subject}.cz"
    elif task.role == "orp":
        values.update(
            typ_predkladatele=L.submitter["orp"],
            kod_obce=o["kod_obce_sidla"],
            ico=make_ico(rng),
            nazev=f"Město {o['nazev_orp']}",
            nazev_planu=f"Střednědobý plán rozvoje sociálních služeb ORP {o['nazev_orp']}",
            obdobi=f"{YEAR - 1}/{YEAR}",
            misto=o["nazev_orp"],
            schvalil="Rada města",
            email=f"{mail}@orp-{task.kod_orp}.cz",
        )
    else:
        ico = make_ico(rng)
        pname = f"{rng.choice(_PROVIDER_WORDS)} {o['nazev_orp']} {task.subject}, {rng.choice(_PROVIDER_FORMS)}"
        values.update(typ_predkladatele=L.submitter["poskytovatel"], ico=ico, nazev=pname, email=f"{mail}@poskytovatel{task.subject}.cz")
        provider = (pname, ico)
    return values, provider


def _write_one(task: _Task, seed: int, files_dir: Path, tmp: Path) -> FileEntry:
    from xlkpss.codelists import municipalities
    from xlkpss.spec import get_template

    global _LISTS
    if _LISTS is None:
        _LISTS = _Lists()
    L = _LISTS
    rng = random.Random(f"{seed}:{task.path}")
    t = get_template(task.kind)
    sk = _skeleton(task.kind, task.scope, tmp)
    entry = FileEntry(task.path, task.kind, task.role, task.kod_orp, task.kod_kraje)
    ident, provider = _ident_values(task, rng, L)
    if rng.randrange(REJECT_EVERY) == 0:
        # a year that is no number: an error in a field that identifies the submission rejects the
        # file (a contact field such as the e-mail would only be a file-level error keeping the rows)
        ident["rok"] = "dvacet šest"
        entry.rejected = True
    ident_sheet = t.sheet("identifikace")
    ident_cells = {row0: ident.get(f.key) for row0, f in enumerate(ident_sheet.fields, start=1)}
    tables: dict[str, list[list[Any]]] = {}
    if task.kind == "sluzby":
        munis = [m for m in municipalities().values() if m.orp == task.kod_orp]
        if task.scope == "stat":
            obce = [L.national_obce[m.code] for m in munis]
        else:
            obce = [m.name for m in munis]
        providers = [provider] if provider else [(f"{rng.choice(_PROVIDER_WORDS)} {i}, {rng.choice(_PROVIDER_FORMS)}", make_ico(rng)) for i in range(6)]
        used: set[str] = set()
        rows = [_service_row(rng, L, rng.choice(providers), obce, used) for _ in range(task.nrows)]
        sheets = {"sluzby": rows}
    else:
        sheets = {"plan": _plan_rows(rng, task.nrows, L), "projekty": _project_rows(rng, L)}
    for key, rows in sheets.items():
        s = t.sheet(key)
        if key in ("sluzby", "plan"):
            e, w = _inject(rng, rows, task.kind)
            entry.error_rows[key], entry.warning_rows[key] = e, w
        entry.rows[key] = len(rows)
        tables[s.name] = [[r.get(f.key) for f in s.fields] for r in rows]
    out = files_dir / task.path
    out.parent.mkdir(parents=True, exist_ok=True)
    sk.write(out, ident_cells, tables)
    entry.bytes = out.stat().st_size
    return entry


def _write_chunk(args: tuple[list[_Task], int, str, str]) -> list[FileEntry]:
    tasks, seed, files_dir, tmp = args
    return [_write_one(t, seed, Path(files_dir), Path(tmp)) for t in tasks]


def _cache_key(preset: Preset, seed: int) -> str:
    import xlkpss.template
    from xlkpss.spec import get_template

    src = Path(__file__).read_bytes() + (Path(__file__).parent / "xlsxgen.py").read_bytes() + Path(xlkpss.template.__file__).read_bytes()
    parts = [GENERATOR_VERSION, json.dumps(asdict(preset), sort_keys=True), str(seed), hashlib.sha256(src).hexdigest()]
    parts += [get_template(k).fingerprint for k in ("sluzby", "plan")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def resave_with_libreoffice(paths: list[Path], *, timeout: float = 600) -> list[Path]:
    """Open and save ``paths`` as xlsx in LibreOffice (one soffice call; own profile).

    Returns the files that were re-saved; an empty list when soffice is not installed.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not paths:
        return []
    with tempfile.TemporaryDirectory(prefix="xlkpss-lo-") as tmp:
        outdir = Path(tmp) / "out"
        profile = Path(tmp) / "profile"
        # same names from different folders would collide in one outdir: link them uniquely
        indir = Path(tmp) / "in"
        indir.mkdir()
        links = []
        for i, p in enumerate(paths):
            link = indir / f"f{i:04d}.xlsx"
            link.symlink_to(p.resolve())
            links.append(link)
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), *map(str, links)]
        subprocess.run(cmd, check=False, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = []
        for i, p in enumerate(paths):
            out = outdir / f"f{i:04d}.xlsx"
            if out.exists() and out.stat().st_size > 0:
                shutil.move(str(out), p)
                done.append(p)
        return done


def generate(
    preset: str | Preset = "region",
    *,
    seed: int = 1,
    root: Path | None = None,
    orps: int | None = None,
    libreoffice: int | None = None,
    workers: int | None = None,
    force: bool = False,
    log=print,
) -> Workload:
    """Generate (or reuse from the cache) the workload of ``preset``."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    if orps is not None:
        p = Preset(p.name, p.kraj, p.providers, p.libreoffice, orps)
    if libreoffice is not None:
        p = Preset(p.name, p.kraj, p.providers, libreoffice, p.orps)
    if p.orps and p.providers is not None:
        raise ValueError("--orps needs a preset with proportional providers")
    name = p.name + (f"-o{p.orps}" if p.orps else "") + f"-lo{p.libreoffice}-s{seed}"
    root = (root or DEFAULT_ROOT) / name
    key = _cache_key(p, seed)
    manifest = root / "manifest.json"
    if not force and manifest.exists():
        data = json.loads(manifest.read_text())
        if data.get("key") == key:
            files = [FileEntry(**f) for f in data["files"]]
            return Workload(root, p.name, seed, files, data.get("generated_s", 0.0), reused=True)
    t0 = time.perf_counter()
    if root.exists():
        shutil.rmtree(root)
    files_dir = root / "files"
    files_dir.mkdir(parents=True)
    tasks = _plan_files(p, seed)
    # chunk by skeleton (kind × territory) so each worker builds few skeletons
    tasks.sort(key=lambda t: (t.scope, t.kind, t.path))
    chunks: list[list[_Task]] = []
    for t in tasks:
        if chunks and (chunks[-1][0].scope, chunks[-1][0].kind) == (t.scope, t.kind) and len(chunks[-1]) < 200:
            chunks[-1].append(t)
        else:
            chunks.append([t])
    n_workers = workers or len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="xlkpss-skel-") as tmp:
        args = [(c, seed, str(files_dir), tmp) for c in chunks]
        if n_workers > 1 and len(chunks) > 1:
            with mp.get_context("fork").Pool(n_workers) as pool:
                entries = [e for part in pool.imap(_write_chunk, args) for e in part]
        else:
            entries = [e for a in args for e in _write_chunk(a)]
    entries.sort(key=lambda e: e.path)
    t_lo = time.perf_counter()
    if p.libreoffice:
        rng = random.Random(f"{seed}:libreoffice")
        # LibreOffice users are mostly small obce; include a provider and an ORP plan
        pick = [e for e in entries if e.role == "orp"][:1] + [e for e in entries if e.role == "poskytovatel"][:1]
        obce = [e for e in entries if e.role == "obec" and not e.rejected]
        pick += rng.sample(obce, min(len(obce), max(0, p.libreoffice - len(pick))))
        pick = pick[: p.libreoffice]
        saved = set(resave_with_libreoffice([files_dir / e.path for e in pick]))
        for e in pick:
            if files_dir / e.path in saved:
                e.libreoffice = True
                e.bytes = (files_dir / e.path).stat().st_size
        log(f"  LibreOffice re-saved {len(saved)} of {len(pick)} files in {time.perf_counter() - t_lo:.1f} s")
    elapsed = time.perf_counter() - t0
    manifest.write_text(json.dumps({"key": key, "preset": asdict(p), "seed": seed, "generated_s": elapsed, "files": [asdict(e) for e in entries]}, ensure_ascii=False))
    return Workload(root, p.name, seed, entries, elapsed)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="region")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orps", type=int, help="keep only the first N ORPs of the territory")
    ap.add_argument("--libreoffice", type=int, help="how many files to re-save through LibreOffice")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--force", action="store_true", help="regenerate even when cached")
    a = ap.parse_args(argv)
    w = generate(a.preset, seed=a.seed, root=a.root, orps=a.orps, libreoffice=a.libreoffice, force=a.force)
    state = "reused" if w.reused else f"generated in {w.generated_s:.1f} s"
    print(f"{len(w.files)} files, {w.total_rows()} table rows, {sum(f.bytes for f in w.files) / 1e6:.1f} MB ({state}): {w.files_dir}")


if __name__ == "__main__":
    sys.exit(main())
