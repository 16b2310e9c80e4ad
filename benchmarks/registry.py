"""Registry import at national scale: a generated ~100 MB ``rpss.json`` → registr.xlsx.

The generated file has the structure of the MPSV open data (the same builder shapes as
``tests/rpss.py``, written independently here): services with one to three forms and
capacities, two or three places each (some without ``kodAdresnihoMista``, some secret,
some closed), provider contacts, and the bulky ``doplnkoveUdaje`` links that make the
real file ~15 kB a record (99.0 MB for 6,733 services, 8. 9. 2026).  It is written as a
stream, never held in memory.

Each measured command runs in a fresh child process, so its peak RSS
(``ru_maxrss`` of the child) is its own:

* ``xlkpss registry import rpss.json -o registr.xlsx`` (the whole country),
* the same with ``--kraj CZ042``,
* for scale: ``json.load`` of the same file (what a non-streaming reader would hold).

No timing assertion anywhere; ``tests/test_benchmark_smoke.py`` runs this at a tiny size
and checks the counts.

    .venv/bin/python -m benchmarks.registry                 # ~100 MB, ~7,000 services
    .venv/bin/python -m benchmarks.registry --mb 5 --keep   # smaller; keep the files
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: bytes of doplnkoveUdaje per record, to reach the real file's ~15 kB a record
_PADDING_LINKS = 60


def _record(rnd: random.Random, n: int, obce: list[tuple[str, str]], icos: list[str]) -> dict:
    from xlkpss.codelists import codelist

    druhy = codelist("druhy_sluzeb")
    item = rnd.choice([i for i in druhy if i.extra.get("formy")])
    forms = list(item.extra["formy"])
    rnd.shuffle(forms)
    forms = forms[: rnd.randint(1, len(forms))]
    obec, _ = rnd.choice(obce)
    ico = rnd.choice(icos)

    def capacities(forma: str) -> list[dict]:
        types = ["luzka"] if forma == "pob" else rnd.sample(["klient", "kontakt", "interv"], rnd.randint(1, 2))
        return [
            {"pocet": rnd.randint(1, 300), "popis": f"Maximální kapacita s účinností od 01.0{rnd.randint(1, 9)}.2016.",
             "typ": {"id": f"TypKapacitySocialniSluzby/{t}"}}
            for t in types
        ]  # fmt: skip

    places = []
    for p in range(rnd.randint(2, 3)):
        place_obec = obec if p == 0 else rnd.choice(obce)[0]
        places.append(
            {
                "nazev": f"Služba {n} – místo {p + 1}",
                "poskytujeOd": "2010-01-01",
                "poskytujeDo": "2019-12-31" if rnd.random() < 0.1 else None,
                "utajenaAdresa": rnd.random() < 0.02,
                "adresa": {
                    "cisloDomovni": rnd.randint(1, 3000), "cisloOrientacni": str(rnd.randint(1, 80)),
                    "dodatekAdresy": None,
                    "kodAdresnihoMista": None if rnd.random() < 0.036 else rnd.randint(10**7, 10**8),
                    "psc": f"{rnd.randint(10000, 79999)}", "typCislaDomovniho": {"id": "TypStavebnihoObjektu/1"},
                    "kraj": {"id": "Kraj/60"}, "okres": {"id": "Okres/3503"}, "obec": {"id": f"Obec/{place_obec}"},
                    "castObce": {"id": "CastObce/1"}, "mestskyObvodMestskaCast": None, "mestskyObvodVPraze": None,
                    "ulice": {"nazev": rnd.choice(["Nádražní", "Husova", "Palackého", "Školní", "Zahradní"])},
                },
            }
        )  # fmt: skip
    contact = {"emaily": [{"email": f"sluzba{n}@example.cz", "poznamka": None}],
               "telefony": [{"telefon": f"47{rnd.randint(1000000, 9999999)}", "poznamka": None}],
               "weby": [{"web": f"www.sluzba{n}.cz", "poznamka": None}]}  # fmt: skip
    return {
        "portalId": n,
        "id": f"Sluzba/{n}",
        "identifikator": str(1000000 + n * 7 % 9000000),
        "datumPoskytovaniOd": "2010-01-01T00:00:00",
        "datumPoskytovaniDo": "2023-06-30T00:00:00" if rnd.random() < 0.15 else None,
        "kontaktniAdresy": [],
        "druhSocialniSluzby": {"id": item.extra["mpsv_open_data_id"]},
        "zarizeni": places,
        "poskytovatel": {
            "ico": ico,
            "nazev": f"Poskytovatel {ico}",
            **contact,
            "statutarniOrgany": [{"jmeno": "Jana", "prijmeni": "Nováková"}],
        },
        **contact,
        "faxy": [],
        "ciloveSkupiny": [{"cilovaSkupina": {"id": f"CilovaSkupinaOsoby/{g}"}} for g in rnd.sample(range(1, 25), 3)],
        "vekoveSkupiny": [{"vekovaSkupina": {"id": f"VekovaSkupinaOsoby/{a}"}} for a in (6, 7, 8)],
        "doplnujiciInformaceVekoveSkupiny": None,
        "formy": [
            {
                "forma": {"id": f"FormaSocialniSluzby/{f}"},
                "nepretrzitePoskytovani": f == "pob",
                "casoveRozsahy": None,
                "kapacity": capacities(f),
            }
            for f in forms
        ],
        "rozsirenePusobnostiVKraji": [],
        "doplnkoveUdaje": {
            key: [
                {
                    "priloha": {
                        "url": f"https://www.mpsv.cz/agportal-server/rest/documents/{n}-{i}",
                        "nazev": "Dokument ke stažení – příloha registrace sociální služby.pdf",
                    }
                }
                for i in range(_PADDING_LINKS // 3)
            ]
            for key in ("realizacePoskytovani", "planyFinancnihoZajisteni", "personalniZajisteni")
        },
    }


def generate(path: Path, *, mb: float, seed: int = 16) -> int:
    """Write a registry file of about ``mb`` megabytes; returns the number of records."""
    from xlkpss.codelists import municipalities

    rnd = random.Random(seed)
    obce = [(m.code, m.kraj) for m in municipalities().values()]
    icos = [f"{rnd.randint(0, 9999999):07d}" for _ in range(2000)]
    icos = [s + str((11 - sum(int(d) * w for d, w in zip(s, range(8, 1, -1))) % 11) % 10) for s in icos]
    target = int(mb * 1_000_000)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"polozky": [')
        while fh.tell() < target:
            if n:
                fh.write(",\n")
            fh.write(json.dumps(_record(rnd, n + 1, obce, icos), ensure_ascii=False))
            n += 1
        fh.write("]}\n")
    return n


#: runs the xlkpss CLI (or json.load) in a child and reports that child's own peak RSS (kB) on stderr
_CHILD = """
import resource, sys
what, args = sys.argv[1], sys.argv[2:]
if what == "json":
    import json
    json.load(open(args[0], encoding="utf-8"))
elif what == "xlkpss":
    from xlkpss.cli import main
    try:
        main(args)
    except SystemExit as exc:
        if exc.code:
            raise
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _measure(what: str, args: list[str]) -> dict:
    """Run ``what`` (``xlkpss`` with ``args``, ``json`` load, ``none``) in a fresh child:
    wall and CPU time and that child's own peak RSS (MB)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, what, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"failed: {what} {' '.join(args)}\n{res.stdout}\n{res.stderr}")
    peak = next(int(line.split()[1]) for line in res.stderr.splitlines() if line.startswith("peak_kb"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak / 1024, 1),
            "output": res.stdout.strip()}  # fmt: skip


def run(mb: float, work: Path, *, keep: bool = False, log=print) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    src = work / "rpss.json"
    t = time.perf_counter()
    records = generate(src, mb=mb)
    log(f"generated {src} ({src.stat().st_size / 1e6:.1f} MB, {records} records) in {time.perf_counter() - t:.1f} s")
    out = {"size_mb": round(src.stat().st_size / 1e6, 1), "records": records}
    out["python_only"] = _measure("none", [])
    out["import_kraj"] = _measure(
        "xlkpss", ["registry", "import", str(src), "--kraj", "CZ042", "-o", str(work / "registr_CZ042.xlsx")]
    )
    out["import_cr"] = _measure("xlkpss", ["registry", "import", str(src), "-o", str(work / "registr.xlsx")])
    out["json_load"] = _measure("json", [str(src)])
    for key in ("python_only", "import_kraj", "import_cr", "json_load"):
        m = out[key]
        log(f"{key:12} wall {m['wall_s']:6.2f} s  cpu {m['cpu_s']:6.2f} s  peak RSS {m['peak_rss_mb']:7.1f} MB")
    log(out["import_cr"]["output"])
    if not keep:
        for p in work.iterdir():
            p.unlink()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=100.0, help="size of the generated registry file (MB)")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the generated and written files")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="xlkpss_registry_bench_"))
    out = run(args.mb, work, keep=args.keep)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.keep and args.dir is None:
        os.rmdir(work)


if __name__ == "__main__":
    main()
