"""History store at national scale: ten years of the whole country (~1 M service rows).

Generates, for each of 14 kraje and 10 years, regional consolidated data (the services
table: territory, type, form, capacity, costs and sources, target group) and stores it
with the same loader as ``xlkpss history add`` (``add_consolidated``; the workbooks
themselves are not written — reading 140 national-size workbooks measures the reader,
not the store).  Then measures the size of the DuckDB file, the time of the trends
queries (``build_trends`` by kraj: every table of the page) and of one plain trend query
(capacity of domovy pro seniory per ORP and year), and the Parquet export.

No timing assertion anywhere; ``tests/test_history.py`` runs this at a tiny size.

    .venv/bin/python -m benchmarks.history                    # 10 years x ~100,000 rows
    .venv/bin/python -m benchmarks.history --rows 2000 --years 2
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def _consolidated(year: int, kraj: str, kraj_name: str, orps: list, obce: dict, n: int, rng: random.Random):
    import pandas as pd

    from xlkpss.codelists import codelist
    from xlkpss.merge.model import Consolidated

    druhy = [i.display for i in codelist("druhy_sluzeb")]
    groups = [i.display for i in codelist("cilove_skupiny")]
    rows = []
    for i in range(n):
        orp = orps[i % len(orps)]
        obec = rng.choice(obce[orp.code])
        beds = rng.random() < 0.3
        cap = rng.randint(5, 150)
        costs = cap * rng.randint(60_000, 400_000)
        rows.append({
            "kod_obce": obec.code, "nazev_obce": obec.label, "kod_orp": orp.code, "nazev_orp": orp.label,
            "kod_kraje": kraj, "nazev_kraje": kraj_name, "identifikator": f"{(hash((kraj, i)) % 9_000_000) + 1_000_000}",
            "nazev_sluzby": f"Služba {i}", "druh": rng.choice(druhy), "forma": "pobytová" if beds else "terénní",
            "kapacita": cap, "typ_kapacity": "lůžka" if beds else "klienti", "naklady": costs,
            "zdroj_mpsv_kraj": costs * 0.4, "zdroj_obec": costs * 0.2, "zdroj_uhrady": costs * 0.3,
            "zdroj_zp": costs * 0.05, "zdroj_eu": 0, "zdroj_ostatni": costs * 0.05,
            "cilova_skupina_1": rng.choice(groups), "src_file": f"orp_{orp.code}.xlsx", "src_row": i + 2,
        })
    meta = {"level": "kraj", "territory_code": kraj, "territory_name": kraj_name, "year": year,
            "generated": f"{year + 1}-04-01", "file": f"souhrn_kraj_{kraj}_{year}.xlsx",
            "sha256": f"{kraj}-{year}", "completeness": 100}
    return Consolidated(meta=meta, tables={"services": pd.DataFrame(rows, dtype=object)})


def run(rows_per_kraj: int, years: int, folder: Path) -> dict:
    from xlkpss.codelists import codelist, municipalities
    from xlkpss.export.parquet import export_parquet
    from xlkpss.history.report import build_trends
    from xlkpss.history.store import add_consolidated, connect

    rng = random.Random(18)
    db = folder / "kpss.duckdb"
    kraje = list(codelist("kraje"))
    orp_list = list(codelist("orp"))
    obce: dict[str, list] = {}
    for m in municipalities().values():
        obce.setdefault(m.orp, []).append(type("O", (), {"code": m.code, "label": m.name})())
    t0 = time.perf_counter()
    con = connect(db)
    total = 0
    for y in range(2026 - years + 1, 2027):
        for k in kraje:
            orps = [o for o in orp_list if o.extra["kraj"] == k.code]
            c = _consolidated(y, k.code, k.label, orps, obce, rows_per_kraj, rng)
            total += add_consolidated(con, c).rows
    con.execute("CHECKPOINT")
    con.close()
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    trends = build_trends(db, by="kraj")
    page = time.perf_counter() - t0
    con = connect(db, read_only=True)
    t0 = time.perf_counter()
    con.execute("SELECT year, kod_orp, sum(kapacita) FROM services WHERE druh LIKE '§49%' GROUP BY ALL").fetchall()
    query = time.perf_counter() - t0
    con.close()
    t0 = time.perf_counter()
    export_parquet(db, folder / "parquet")
    export = time.perf_counter() - t0
    pq_size = sum(p.stat().st_size for p in (folder / "parquet").rglob("*.parquet"))
    return {"rows": total, "years": years, "units": len(trends.units), "db_mb": db.stat().st_size / 1e6,
            "load_s": load, "trends_s": page, "query_s": query, "export_s": export, "parquet_mb": pq_size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=7_200, help="service rows per kraj and year")
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xlkpss-history-bench-") as tmp:
        r = run(args.rows, args.years, Path(tmp))
    print(f"{r['rows']:,} service rows ({r['years']} years x 14 kraje): DuckDB file {r['db_mb']:.1f} MB, "
          f"load {r['load_s']:.1f} s; trends page queries {r['trends_s']:.2f} s; one trend query "
          f"{r['query_s'] * 1000:.0f} ms; Parquet export {r['export_s']:.1f} s, {r['parquet_mb']:.1f} MB")


if __name__ == "__main__":
    main()
