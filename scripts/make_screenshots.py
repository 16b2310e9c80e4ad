#!/usr/bin/env python3
"""The README screenshots of the clerk's side, generated from the samples:

* ``docs/live_checks.png`` — Jirkov's services sample with a few typical mistakes typed
  in: the live checks mark the cells and the Kontrola block counts them;
* ``docs/kontrola.png`` — the Kontrola sheet of the annotated copy of that file
  (``xlkpss validate --annotate``).

LibreOffice headless computes the formulas and prints the sheet to PDF, ``pdftoppm``
makes a PNG cropped to the printed content (the margin found in a PPM rendering of the
same page).  Needs soffice and pdftoppm (``apt-get install libreoffice-calc poppler-utils``).

    python scripts/make_screenshots.py            # writes docs/*.png
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
DPI = 160
SAMPLE = ROOT / "samples" / "orp_4203_chomutov" / "obec_563099_jirkov_sluzby_2026.xlsx"

#: mistakes typed into the sample (field key → value, per Excel row)
MISTAKES = {
    2: {"typ_kapacity": "lůžka", "forma": "terénní", "druh": "§40 Pečovatelská služba"},  # beds with a field service
    3: {"forma": "pobytová"},  # a low-threshold club is not residential
    4: {"zdroj_obec": 90_000_000},  # sources above costs
    5: {"obec": "Kadaň", "kapacita": None},  # outside ORP Chomutov, capacity missing
}
#: columns shown (the rest is hidden in the screenshot copy so the Kontrola block fits)
SHOWN = ("nazev_sluzby", "druh", "forma", "kapacita", "typ_kapacity", "obec", "naklady", "zdroj_obec")


def _run(cmd: list[str], timeout: float = 180) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed: {err.decode(errors='replace')}")


def _page_with(pdf: Path, marker: str) -> int:
    """The first page of ``pdf`` whose text holds ``marker`` (LibreOffice may print more
    sheets than the one left visible, e.g. those with a print range)."""
    for n in range(1, 50):
        res = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, timeout=60)
        if res.returncode:
            break
        if marker in res.stdout.decode("utf-8", errors="replace"):
            return n
    raise SystemExit(f"{pdf.name}: no page shows {marker!r}")


def to_png(xlsx: Path, png: Path, work: Path, marker: str) -> None:
    """xlsx → PDF (LibreOffice, recalculating on load) → PNG of the page showing
    ``marker``, margins cropped."""
    profile = work / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    items = "".join(
        f'<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="{k}" oor:op="fuse"><value>0</value></prop></item>'
        for k in ("OOXMLRecalcMode", "ODFRecalcMode")
    )
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>cs-CZ</value></prop></item>'
        f"{items}</oor:items>",
        encoding="utf-8",
    )
    pdf_dir = work / "pdf"
    _run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nolockcheck",
          "--convert-to", "pdf:calc_pdf_Export", "--outdir", str(pdf_dir), str(xlsx)])
    pdf = pdf_dir / f"{xlsx.stem}.pdf"
    n = _page_with(pdf, marker)
    page = ["pdftoppm", "-r", str(DPI), "-f", str(n), "-l", str(n), "-singlefile"]
    _run([*page, str(pdf), str(work / xlsx.stem)])
    x, y, w, h = content_box(work / f"{xlsx.stem}.ppm", margin=12)
    _run([*page, "-png", "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(png.with_suffix(""))])


def content_box(ppm: Path, margin: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the non-white part of a binary PPM, plus ``margin``."""
    data = ppm.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6", ppm
    width, height = int(fields[1]), int(fields[2])
    pixels = fields[4][: width * height * 3]
    ink = re.compile(rb"[\x00-\xf0]")
    top = bottom = None
    left, right = width, 0
    for row in range(height):
        line = pixels[row * width * 3 : (row + 1) * width * 3]
        first = ink.search(line)
        if first is None:
            continue
        top = row if top is None else top
        bottom = row
        last = len(line) - ink.search(line[::-1]).start() - 1
        left, right = min(left, first.start() // 3), max(right, last // 3)
    if top is None:
        return 0, 0, width, height
    x, y = max(0, left - margin), max(0, top - margin)
    return x, y, min(width, right + margin) - x, min(height, bottom + margin) - y


def _only(wb, keep: str) -> None:
    """Print only sheet ``keep`` (the others hidden, formulas keep their references)."""
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == keep  # LibreOffice prints the selected sheets
        if ws.title != keep:
            ws.sheet_state = "hidden"
    wb.active = wb.sheetnames.index(keep)


def with_mistakes(out: Path) -> Path:
    from xlkpss.template import field_cell

    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb["Služby"]
    for row, change in MISTAKES.items():
        for key, value in change.items():
            ws[field_cell("sluzby", "sluzby", key, row)].value = value
    wb.save(out)
    return out


def screenshot_copy(src: Path, out: Path) -> Path:
    """The sample with mistakes, set up to print the shown columns and the Kontrola block."""
    from openpyxl.utils import get_column_letter

    from xlkpss.spec import get_template
    from xlkpss.template import live_checks

    wb = openpyxl.load_workbook(src)
    sheet = get_template("sluzby").sheet("sluzby")
    live = live_checks("sluzby").sheets["sluzby"]
    ws = wb[sheet.name]
    keys = [f.key for f in sheet.fields]
    # openpyxl keeps runs of equal columns as one entry (min..max): one entry per column
    widths = {i: d.width for d in list(ws.column_dimensions.values()) for i in range(d.min or 1, (d.max or d.min or 1) + 1)}
    for letter in list(ws.column_dimensions):
        del ws.column_dimensions[letter]
    for i, width in sorted(widths.items()):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = width
        dim.hidden = i <= len(keys) and keys[i - 1] not in SHOWN or live.block_col + 2 < i
    last_row = max(MISTAKES) + 5
    # one page: no repeated columns or page breaks of the A4 print setup
    ws.print_title_cols = None
    ws.col_breaks.brk = []
    ws.print_area = f"A1:{get_column_letter(live.block_col + 2)}{last_row}"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 1
    ws.oddHeader.center.text = ws.oddFooter.center.text = ws.oddFooter.right.text = ws.oddHeader.left.text = None
    _only(wb, sheet.name)
    wb.save(out)
    return out


def kontrola_copy(src: Path, out_dir: Path) -> Path:
    from xlkpss.validate.annotate import REPORT_SHEET, annotate
    from xlkpss.validate.engine import validate_paths

    [res] = validate_paths([src], workers=1)
    copy = annotate(res, out_dir)
    wb = openpyxl.load_workbook(copy)
    ws = wb[REPORT_SHEET]
    ws.print_area = f"A1:G{ws.max_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _only(wb, REPORT_SHEET)
    out = out_dir / "kontrola.xlsx"
    wb.save(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    a = ap.parse_args(argv)
    missing = [t for t in ("soffice", "pdftoppm", "pdftotext") if shutil.which(t) is None]
    if missing:
        print(f"missing tools: {', '.join(missing)}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlkpss_shots_") as tmp:
        work = Path(tmp)
        filled = with_mistakes(work / "jirkov_s_chybami.xlsx")
        to_png(screenshot_copy(filled, work / "live_checks.xlsx"), a.out / "live_checks.png", work / "a", "Celkem")
        to_png(kontrola_copy(filled, work / "annotated"), a.out / "kontrola.png", work / "b", "Kontrola souboru")
    print(a.out / "live_checks.png")
    print(a.out / "kontrola.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
