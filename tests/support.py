"""Fixtures in code: write small filled submissions for one test (STYLE.md §8).

Rows are given by field key (never by column letter or label), so tests keep working
when the spec changes; labels and columns are looked up in the spec.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlkpss.codelists import territory
from xlkpss.spec import get_template
from xlkpss.template import build_template, field_cell

GOOD_SERVICE: dict[str, Any] = {
    "identifikator": "1234567",
    "registrovana": "ano",
    "nazev_sluzby": "Domov pro seniory Jirkov",
    "poskytovatel": "Městský ústav sociálních služeb",
    "ico_poskytovatele": "00075655",
    "druh": "§49 Domovy pro seniory",
    "forma": "pobytová",
    "kapacita": 120,
    "typ_kapacity": "lůžka",
    "pocet_uzivatelu": 143,
    "uvazky": 48.5,
    "obec": "Jirkov",
    "cilova_skupina_1": "senioři",
    "naklady": 48_500_000,
    "zdroj_mpsv_kraj": 15_200_000,
    "zdroj_obec": 9_800_000,
    "zdroj_uhrady": 19_600_000,
    "zdroj_zp": 2_400_000,
    "zdroj_eu": 0,
    "zdroj_ostatni": 1_500_000,
}

GOOD_IDENT_OBEC: dict[str, Any] = {
    "typ_predkladatele": "obec",
    "kod_obce": "563099",
    "ico": "00261904",
    "nazev": "Město Jirkov",
    "kod_orp": "Chomutov",
    "kod_kraje": "Ústecký kraj",
    "rok": 2026,
    "zpracoval": "Jana Nováková",
    "email": "jana.novakova@jirkov.cz",
    "telefon": "474 616 111",
    "datum_vyplneni": dt.date(2026, 3, 2),
}

GOOD_PLAN_ROWS: list[dict[str, Any]] = [
    {"cislo": "1", "uroven": "priorita", "nazev": "Finanční podpora sociálních služeb"},
    {"cislo": "1.1", "uroven": "opatření", "nazev": "Přímá podpora poskytovatelů", "popis": "Vyčlenit část rozpočtu."},
    {
        "cislo": "1.1.1",
        "uroven": "aktivita",
        "nazev": "vyčlenit část rozpočtu na provoz MÚSS",
        "realizator": "Odbor sociálních věcí",
        "rozpocet": 2_774_600,
        "cerpano": 2_650_000,
        "indikator": "počet podpořených služeb",
        "cilova_hodnota": 12,
        "dosazena_hodnota": 11,
        "stav": "splněno",
        "pokracuje": "ano",
    },
    {"cislo": "1.1.2", "uroven": "aktivita", "nazev": "vytvořit pravidla spolufinancování", "stav": "nesplněno", "pokracuje": "ano"},
]


def ico_with_check_digit(seven: str) -> str:
    """A valid IČO from seven digits (mod-11 check digit)."""
    total = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1)))
    return seven + str((11 - total % 11) % 10)


def make_orp_submissions(folder: Path, orp: str) -> list[Path]:
    """A small valid set of submissions of one ORP the samples do not cover: the seat
    obec's services (a home and a pečovatelská služba) and plan evaluation, and the
    provider's own report of the home (another capacity: counted once, a conflict).
    Service identifiers start with the ORP code, so two ORP never share a service."""
    from xlkpss.codelists import municipalities, orps

    o = orps()[orp]
    seat = next(m for m in municipalities().values() if m.orp == orp and m.name == o["nazev_orp"])
    obec = {
        "typ_predkladatele": "obec",
        "kod_obce": seat.code,
        "ico": ico_with_check_digit(seat.code[:6] + "1"),
        "nazev": f"Město {seat.name}",
        "kod_orp": o["nazev_orp"],
        "kod_kraje": o["nazev_kraje"],
    }
    home = {
        **GOOD_SERVICE,
        "identifikator": f"{orp}101",
        "nazev_sluzby": f"Domov pro seniory {seat.name}",
        "obec": seat.name,
        "kapacita": 80,
    }
    care = {
        **GOOD_SERVICE,
        "identifikator": f"{orp}102",
        "nazev_sluzby": f"Pečovatelská služba {seat.name}",
        "druh": "§40 Pečovatelská služba",
        "forma": "terénní",
        "kapacita": 25,
        "typ_kapacity": "klienti",
        "obec": seat.name,
        "naklady": 2_000_000,
        "zdroj_mpsv_kraj": 1_000_000,
        "zdroj_obec": 1_000_000,
        "zdroj_uhrady": 0,
        "zdroj_zp": 0,
        "zdroj_ostatni": 0,
    }
    provider = {
        **obec,
        "typ_predkladatele": "poskytovatel",
        "kod_obce": None,
        "ico": "00075655",
        "nazev": "Městský ústav sociálních služeb",
    }
    slug = f"{orp}_{seat.code}"
    return [
        make_submission(folder / f"obec_{slug}_sluzby.xlsx", rows=[home, care], orp=orp, ident=obec),
        make_submission(
            folder / f"poskytovatel_{orp}_sluzby.xlsx", rows=[{**home, "kapacita": 85}], orp=orp, ident=provider
        ),
        make_submission(
            folder / f"obec_{slug}_plan.xlsx",
            kind="plan",
            rows=GOOD_PLAN_ROWS,
            orp=orp,
            ident={**obec, "nazev_planu": f"Plán {seat.name}", "obdobi": "2026"},
        ),
    ]


def cell_of(kind: str, sheet_key: str, field_key: str, excel_row: int) -> str:
    """A1 address of a field in a table row (the template's own layout)."""
    return field_cell(kind, sheet_key, field_key, excel_row)


def make_submission(
    path: Path,
    kind: str = "sluzby",
    rows: list[dict[str, Any]] | None = None,
    *,
    ident: dict[str, Any] | None = None,
    sheet_rows: dict[str, list[dict[str, Any]]] | None = None,
    orp: str | None = "4203",
    year: int | None = 2026,
) -> Path:
    """Generate a real template, fill Identifikace and table rows with openpyxl, save."""
    import openpyxl

    t = get_template(kind)
    build_template(kind, path, year=year, scope=territory(orp=orp) if orp else None)
    wb = openpyxl.load_workbook(path)
    ident_values = dict(GOOD_IDENT_OBEC)
    if ident:
        ident_values.update(ident)
    kv = t.sheet("identifikace")
    ws = wb[kv.name]
    for i, f in enumerate(kv.fields, start=2):
        if f.key in ident_values:
            ws.cell(i, 2, ident_values[f.key])
    tables = dict(sheet_rows or {})
    if rows is not None:
        tables[t.table_sheets[0].key] = rows
    for sheet_key, table_rows in tables.items():
        spec = t.sheet(sheet_key)
        ws = wb[spec.name]
        keys = [f.key for f in spec.fields]
        for r, row in enumerate(table_rows, start=2):
            for k, v in row.items():
                ws.cell(r, keys.index(k) + 1, v)
    wb.save(path)
    return path


def set_cached_error(path: Path, cell: str, formula: str, error: str) -> None:
    """Turn ``cell`` into a formula whose cached result is an error (as Excel saves it).

    openpyxl cannot write cached values, so the sheet XML is edited directly.
    """
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    pattern = re.compile(rb'<c r="' + cell.encode() + rb'"([^>]*?)(/>|>.*?</c>)', re.DOTALL)
    out = []
    done = False
    for info, data in items:
        if info.filename.startswith("xl/worksheets/sheet") and not done:
            m = pattern.search(data)
            # only the services sheet has a numeric cell there; the first hit is enough
            if m and b"<f>" not in m.group(0) and b't="s"' not in m.group(1):
                attrs = re.sub(rb'\s*t="[^"]*"', b"", m.group(1))
                new = b'<c r="' + cell.encode() + b'"' + attrs + b' t="e"><f>' + formula.encode() + b"</f><v>" + error.encode() + b"</v></c>"
                data = data[: m.start()] + new + data[m.end() :]
                done = True
        out.append((info, data))
    assert done, f"cell {cell} not found"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in out:
            zout.writestr(info, data)
    tmp.replace(path)
