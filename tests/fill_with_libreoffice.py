#!/usr/bin/python3
"""Fill cells of a workbook with LibreOffice Calc (headless, via the Python UNO
bridge) and save it back -- simulates a person opening the template in
LibreOffice, typing values and pressing Save.

Must run with the *system* python that has python3-uno (Debian: /usr/bin/python3),
not with a venv python:

    apt-get install --no-install-recommends libreoffice-calc python3-uno
    /usr/bin/python3 fill_with_libreoffice.py IN.xlsx VALUES.json OUT.xlsx [options]

VALUES.json:  {"SheetName": {"B7": <value>, ...}, ...}
  <value> forms
    123 / 1.5           -> number (XCell.setValue)
    true / false        -> boolean (value 1/0 + locale BOOLEAN format, like typing
                           PRAVDA/NEPRAVDA in cs-CZ); saved to xlsx as t="b"
    null                -> clear the cell's content (keeps formatting)
    "=SUM(A1:A3)"       -> formula, English function names, ',' separators
    "text"              -> literal text (XCell.setString); with --typed the
                           string is instead parsed as a person's keyboard input in
                           the --locale (so "15.1.2024" becomes a date in cs-CZ,
                           "1 250,5" a number)
    {"text": "00123"}   -> always literal text
    {"typed": "1,5"}    -> always keyboard-style input (locale aware)
    {"formula": "=A1"}  -> formula
    {"number": 3}       -> number
    {"bool": true}      -> boolean
    {"date": "2024-03-15"} / {"date": "2024-03-15T13:45:00"}
                        -> date serial; if the cell has no date format a
                           locale default date (or date-time) format is applied

Options
  --recalc              full recalculation (Ctrl+Shift+F9) before saving; default
                        off: like LibreOffice's default "never recalculate on load"
                        only formulas depending on edited cells are updated
  --recalc-on-load      set OOXMLRecalcMode/ODFRecalcMode=always in the profile
  --locale cs-CZ        locale used for typed input and default formats (default cs-CZ)
  --typed               plain strings are keyboard input instead of literal text
  --format xlsx|ods|xls|pdf   output filter (default: from OUT's extension)
  --profile DIR         LibreOffice user profile dir (default: a fresh temp dir)
  --keep-profile        do not delete the temp profile
  --timeout S           seconds to wait for soffice to accept connections (default 60)
  --ignore-protection   allow writing locked cells of protected sheets (a person
                        could not; by default that is an error)
  --also PATH           also store the filled document to PATH (format from its
                        extension); repeatable.  One LibreOffice start then saves
                        several formats, like a person pressing "Save as" again.
                        (xlkpss addition to the shared harness script)
  --hidden              load the document with Hidden=True like `soffice --convert-to`
                        does; this LOSES frozen panes / view settings on export
                        (default: Hidden=False, which keeps them even headless)

Notes
  * The input file is copied to a temp dir first (no .~lock files next to it,
    input never modified).
  * Formulas are parsed with LibreOffice's OOXML grammar (Excel syntax: ','
    separators, Sheet!A1 refs); formulas with structured table references
    (Tab[Col]) fall back to XCell.setFormula with ';' separators.

Exit status 0 on success; prints a one-line JSON summary.
"""
import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

try:
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
except ImportError:  # pragma: no cover
    sys.exit("python3-uno not importable: run with /usr/bin/python3 (apt-get install python3-uno)")

FILTERS = {
    "xlsx": "Calc MS Excel 2007 XML",
    "xlsm": "Calc MS Excel 2007 VBA XML",
    "ods": "calc8",
    "xls": "MS Excel 97",
    "pdf": "calc_pdf_Export",
    "csv": "Text - txt - csv (StarCalc)",
}

# com.sun.star.sheet.CellFlags
VALUE, DATETIME, STRING, ANNOTATION, FORMULA = 1, 2, 4, 8, 16
# com.sun.star.util.NumberFormat
NF_DATE, NF_DATETIME, NF_LOGICAL = 2, 6, 1024


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _url(path):
    return uno.systemPathToFileUrl(os.path.abspath(path))


def write_profile(profile_dir, locale, recalc_on_load):
    user = os.path.join(profile_dir, "user")
    os.makedirs(user, exist_ok=True)
    items = [
        f'<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>{locale}</value></prop></item>',
        # no "document recovery" / first-start dialogs
        '<item oor:path="/org.openoffice.Office.Recovery/RecoveryInfo"><prop oor:name="Enabled" oor:op="fuse"><value>false</value></prop></item>',
        '<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>',
    ]
    if recalc_on_load:
        for k in ("OOXMLRecalcMode", "ODFRecalcMode"):
            items.append(f'<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="{k}" oor:op="fuse"><value>0</value></prop></item>')
    with open(os.path.join(user, "registrymodifications.xcu"), "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
                'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
        f.write("\n".join(items))
        f.write("\n</oor:items>\n")


def start_office(profile_dir, timeout):
    pipe = "fill_" + uuid.uuid4().hex[:12]
    cmd = ["soffice", f"-env:UserInstallation={_url(profile_dir)}", "--headless", "--invisible",
           "--nologo", "--norestore", "--nodefault", "--nolockcheck",
           f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if proc.poll() is not None:
                raise RuntimeError(f"soffice exited early with {proc.returncode}")
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("timed out waiting for soffice")
            time.sleep(0.2)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def stop_office(proc, desktop):
    try:
        desktop.terminate()
    except Exception:
        pass  # the bridge is torn down while terminate() returns; that is expected
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _to_serial(doc, s):
    nd = doc.NullDate  # com.sun.star.util.Date, 1899-12-30 unless 1904 system
    null = dt.datetime(nd.Year, nd.Month, nd.Day)
    d = dt.datetime.fromisoformat(s)
    delta = d - null
    return delta.days + delta.seconds / 86400.0 + delta.microseconds / 86400e6, (d.time() != dt.time(0))


def _locale(code):
    from com.sun.star.lang import Locale
    lang, _, country = code.partition("-")
    return Locale(lang, country, "")


_PARSER = {}


def _ooxml_parser(doc):
    if doc not in _PARSER:
        mapper = doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
        p = doc.createInstance("com.sun.star.sheet.FormulaParser")
        # FormulaLanguage.OOXML = 5; groups: ALL_EXCEPT_SPECIAL + SPECIAL(0)
        p.OpCodeMap = tuple(mapper.getAvailableMappings(5, 0x7fffffff)) + tuple(mapper.getAvailableMappings(5, 0))
        p.FormulaConvention = 3  # AddressConvention.XL_OOX
        p.CompileEnglish = True
        _PARSER[doc] = p
    return _PARSER[doc]


def _excel_to_api_separators(f):
    """',' -> ';' for function arguments outside "strings", [table refs] and {arrays}."""
    out, depth_sq, in_str, in_arr = [], 0, False, False
    for ch in f:
        if in_str:
            in_str = ch != '"'
        elif ch == '"':
            in_str = True
        elif ch == "[":
            depth_sq += 1
        elif ch == "]":
            depth_sq -= 1
        elif ch == "{":
            in_arr = True
        elif ch == "}":
            in_arr = False
        elif ch == "," and depth_sq == 0 and not in_arr:
            ch = ";"
        out.append(ch)
    return "".join(out)


def set_formula(doc, cell, f):
    if not f.startswith("="):
        f = "=" + f
    if "[" in f:  # structured references: the OOXML token parser mangles them
        cell.setFormula(_excel_to_api_separators(f))
    else:
        cell.setTokens(_ooxml_parser(doc).parseFormula(f, cell.CellAddress))


def set_cell(doc, cell, value, typed_default, locale_code):
    kind, v = None, value
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError(f"value object must have exactly one key: {value!r}")
        kind, v = next(iter(value.items()))
    elif value is None:
        kind = "clear"
    elif isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, (int, float)):
        kind = "number"
    elif isinstance(value, str):
        kind = "formula" if value.startswith("=") else ("typed" if typed_default else "text")
    else:
        raise ValueError(f"unsupported value {value!r}")

    if kind == "clear":
        cell.clearContents(VALUE | DATETIME | STRING | FORMULA)
    elif kind == "number":
        cell.setValue(float(v))
    elif kind == "text":
        cell.setString(str(v))
    elif kind == "formula":
        set_formula(doc, cell, str(v))    # Excel/OOXML syntax and English names
    elif kind == "typed":
        cell.setPropertyValue("FormulaLocal", str(v))  # parsed like keyboard input
    elif kind == "bool":
        # what typing PRAVDA/TRUE does: value 1/0 with the locale's BOOLEAN format,
        # exported to xlsx as t="b"
        cell.setValue(1.0 if v else 0.0)
        cell.NumberFormat = doc.NumberFormats.getStandardFormat(NF_LOGICAL, _locale(locale_code))
    elif kind == "date":
        serial, has_time = _to_serial(doc, str(v))
        cell.setValue(serial)
        fmts = doc.NumberFormats
        cur = fmts.getByKey(cell.NumberFormat).Type
        if not (cur & NF_DATE):
            cell.NumberFormat = fmts.getStandardFormat(NF_DATETIME if has_time else NF_DATE, _locale(locale_code))
    else:
        raise ValueError(f"unknown value kind {kind!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("infile")
    ap.add_argument("values", help="JSON file ({sheet: {cell: value}}) or '-' for stdin")
    ap.add_argument("outfile")
    ap.add_argument("--recalc", action="store_true")
    ap.add_argument("--recalc-on-load", action="store_true")
    ap.add_argument("--locale", default="cs-CZ")
    ap.add_argument("--typed", action="store_true")
    ap.add_argument("--format")
    ap.add_argument("--profile")
    ap.add_argument("--keep-profile", action="store_true")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--ignore-protection", action="store_true")
    ap.add_argument("--hidden", action="store_true")
    ap.add_argument("--also", action="append", default=[], metavar="PATH")
    a = ap.parse_args(argv)

    t0 = time.monotonic()
    values = json.load(sys.stdin if a.values == "-" else open(a.values, encoding="utf-8"))
    fmt = (a.format or os.path.splitext(a.outfile)[1].lstrip(".")).lower()
    if fmt not in FILTERS:
        sys.exit(f"unknown output format {fmt!r}; one of {sorted(FILTERS)}")
    also = [(p, os.path.splitext(p)[1].lstrip(".").lower()) for p in a.also]
    for p, f in also:
        if f not in FILTERS:
            sys.exit(f"unknown output format {f!r} for --also {p}; one of {sorted(FILTERS)}")
    profile = a.profile or tempfile.mkdtemp(prefix="lo_fill_profile_")
    write_profile(profile, a.locale, a.recalc_on_load)
    workdir = tempfile.mkdtemp(prefix="lo_fill_in_")
    src = os.path.join(workdir, os.path.basename(a.infile))
    shutil.copyfile(a.infile, src)
    proc, desktop = start_office(profile, a.timeout)
    t_start = time.monotonic()
    n = 0
    warnings = []
    try:
        doc = desktop.loadComponentFromURL(_url(src), "_blank", 0,
                                           (_prop("Hidden", a.hidden), _prop("ReadOnly", False)))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {a.infile}")
        t_load = time.monotonic()
        sheets = doc.Sheets
        for sheet_name, cells in values.items():
            if not sheets.hasByName(sheet_name):
                raise KeyError(f"no sheet {sheet_name!r}; have {list(sheets.ElementNames)}")
            sh = sheets.getByName(sheet_name)
            for addr, val in cells.items():
                cell = sh.getCellRangeByName(addr)
                if sh.isProtected() and cell.CellProtection.IsLocked:
                    msg = f"{sheet_name}!{addr} is locked on a protected sheet"
                    if not a.ignore_protection:
                        raise PermissionError(msg + " (a person could not edit it; use --ignore-protection)")
                    warnings.append(msg)
                set_cell(doc, cell, val, a.typed, a.locale)
                n += 1
        if a.recalc:
            doc.calculateAll()
        out_url = _url(a.outfile)
        os.makedirs(os.path.dirname(os.path.abspath(a.outfile)), exist_ok=True)
        doc.storeToURL(out_url, (_prop("FilterName", FILTERS[fmt]), _prop("Overwrite", True)))
        for path, f in also:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            doc.storeToURL(_url(path), (_prop("FilterName", FILTERS[f]), _prop("Overwrite", True)))
        t_store = time.monotonic()
        doc.close(True)
    finally:
        stop_office(proc, desktop)
        shutil.rmtree(workdir, ignore_errors=True)
        if not a.profile and not a.keep_profile:
            shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps({"out": a.outfile, "also": a.also, "cells_written": n, "filter": FILTERS[fmt], "warnings": warnings,
                      "seconds": {"start_office": round(t_start - t0, 2), "load": round(t_load - t_start, 2),
                                  "fill_and_store": round(t_store - t_load, 2),
                                  "total": round(time.monotonic() - t0, 2)}}))


if __name__ == "__main__":
    main()
