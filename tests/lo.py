"""Helpers for tests that drive the real LibreOffice (headless) — the client small
municipalities use.

* Every ``soffice`` call gets its own fresh ``-env:UserInstallation`` profile (parallel
  runs sharing a profile lock up), written with the locale we want: ``cs-CZ`` is a real
  Czech user, whose LibreOffice rewrites number formats differently from ``en-US``.
* Calls run in their own process group so a hung office can be killed on timeout.
* :func:`require` skips when LibreOffice is missing locally but *fails* in CI
  (``CI`` set), so CI can never silently pass without running these tests.
* :func:`fill` runs ``tests/fill_with_libreoffice.py`` with the system python that
  has the UNO bridge (python3-uno), typing values into cells like a person.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
FILL_SCRIPT = Path(__file__).with_name("fill_with_libreoffice.py")
TIMEOUT = 180

#: ``soffice --convert-to`` targets (explicit filters so nothing depends on defaults)
CONVERT_FILTERS = {
    "pdf": "pdf:calc_pdf_Export",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "ods": "ods:calc8",
    "xls": "xls:MS Excel 97",
    "csv": "csv",
}

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


# --- availability -------------------------------------------------------------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _has_uno() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    res = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=60)
    return res.returncode == 0


def missing_tools(*, uno: bool = False, pdftotext: bool = False) -> list[str]:
    missing = []
    if shutil.which("soffice") is None:
        missing.append("soffice (apt-get install libreoffice-calc)")
    if uno and not _has_uno():
        missing.append(f"{SYSTEM_PYTHON} with the uno module (apt-get install python3-uno)")
    if pdftotext and shutil.which("pdftotext") is None:
        missing.append("pdftotext (apt-get install poppler-utils)")
    return missing


def require(*, uno: bool = False, pdftotext: bool = False) -> None:
    """Skip locally, fail in CI, when a LibreOffice tool is missing."""
    missing = missing_tools(uno=uno, pdftotext=pdftotext)
    if not missing:
        return
    msg = "LibreOffice test needs: " + "; ".join(missing) + " (.ci/run installs them)"
    if in_ci():
        pytest.fail(msg + " — CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(msg)


# --- profiles and processes ---------------------------------------------------------------------------


def write_profile(profile: Path, locale: str = "en-US") -> Path:
    """A fresh LibreOffice user profile with ``locale`` and no first-start/recovery dialogs."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    items = [
        ("/org.openoffice.Setup/L10N", "ooSetupSystemLocale", locale),
        ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
        ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ]
    body = "\n".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        for path, name, value in items
    )
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + body + "\n</oor:items>\n",
        encoding="utf-8",
    )
    return profile


def _env(locale: str) -> dict[str, str]:
    # the locale lives in the profile; the environment is passed through unchanged
    return dict(os.environ)


def _run(cmd: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run in a new process group; on timeout kill exactly that group."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"timed out after {timeout} s: {' '.join(cmd)}\n{err.decode(errors='replace')}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def convert(
    inputs: Iterable[Path], fmt: str, outdir: Path, *, locale: str = "en-US", timeout: float = TIMEOUT
) -> list[Path]:
    """``soffice --convert-to fmt`` for several files in ONE office start (own profile)."""
    inputs = [Path(p).resolve() for p in inputs]
    stems = [p.stem for p in inputs]
    assert len(set(stems)) == len(stems), "one convert() call needs distinct file stems"
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    assert all(p.parent != outdir for p in inputs), "convert into another directory, never over the input"
    with tempfile.TemporaryDirectory(prefix="xlkpss_lo_profile_") as prof:
        profile = write_profile(Path(prof), locale)
        cmd = [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            CONVERT_FILTERS[fmt],
            "--outdir",
            str(outdir),
            *map(str, inputs),
        ]
        res = _run(cmd, env=_env(locale), timeout=timeout)
    ext = CONVERT_FILTERS[fmt].split(":")[0]
    outputs = [outdir / f"{p.stem}.{ext}" for p in inputs]
    missing = [o.name for o in outputs if not o.is_file() or o.stat().st_size == 0]
    assert res.returncode == 0 and not missing, f"soffice failed ({res.returncode}), missing {missing}:\n{res.stdout}\n{res.stderr}"
    return outputs


def fill(
    infile: Path,
    values: dict[str, dict[str, Any]],
    outfile: Path,
    *,
    also: Iterable[Path] = (),
    locale: str = "cs-CZ",
    typed: bool = True,
    extra: Iterable[str] = (),
    timeout: float = TIMEOUT,
) -> dict:
    """Type ``values`` ({sheet: {cell: value}}) into ``infile`` with LibreOffice, save as
    ``outfile`` (and every path in ``also``) in one office session."""
    outfile = Path(outfile)
    outfile.parent.mkdir(parents=True, exist_ok=True)
    values_path = outfile.with_name(outfile.stem + ".values.json")
    values_path.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="xlkpss_lo_fill_profile_") as prof:
        cmd = [SYSTEM_PYTHON, str(FILL_SCRIPT), str(infile), str(values_path), str(outfile), "--locale", locale, "--profile", prof]
        if typed:
            cmd.append("--typed")
        for p in also:
            cmd += ["--also", str(p)]
        cmd += list(extra)
        res = _run(cmd, env=_env(locale), timeout=timeout)
    assert res.returncode == 0, f"fill failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    for p in (outfile, *map(Path, also)):
        assert p.is_file() and p.stat().st_size > 0, f"fill did not write {p}"
    return summary


def run_parallel(jobs: dict[str, Callable[[], Any]], workers: int | None = None) -> dict[str, Any]:
    """Run independent office jobs concurrently (each has its own profile); re-raise the first failure."""
    workers = workers or min(len(jobs), 2 * (os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futures = {name: ex.submit(fn) for name, fn in jobs.items()}
        return {name: fut.result() for name, fut in futures.items()}


# --- reading LibreOffice output -------------------------------------------------------------------------


def pdf_text(pdf: Path) -> str:
    """Text of a PDF with all whitespace runs collapsed (wrapped cells join up again)."""
    res = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return " ".join(res.stdout.decode("utf-8").split())


_NUMFMT_QUOTED = re.compile(r'"[^"]*"|\\.')


def comma_scaled(num_format: str) -> bool:
    """True when a number format divides by 1000 (a ',' right after the last digit
    placeholder) — what a Czech LibreOffice makes of ``#,##0 "Kč"``."""
    bare = _NUMFMT_QUOTED.sub("", num_format)
    return bool(re.search(r"[0#?],+(?![0#?])", bare))


@dataclass
class OdsValidation:
    name: str
    condition: str
    base_cell: str  # "Služby.F2"

    @property
    def list_range(self) -> tuple[str, str, int, int] | None:
        """(sheet, column, first row, last row) of an in-list condition pointing at a range."""
        m = re.search(
            r"cell-content-is-in-list\(\[\$?'?([^'.\]]+)'?\.\$?([A-Z]+)\$?(\d+):\.?\$?([A-Z]+)\$?(\d+)\]\)", self.condition
        )
        if not m:
            return None
        assert m[2] == m[4], self.condition
        return m[1], m[2], int(m[3]), int(m[5])


class Ods:
    """The parts of an .ods package the tests look at."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.content = ET.fromstring(z.read("content.xml"))
            self.styles = ET.fromstring(z.read("styles.xml"))

    def _q(self, tag: str) -> str:
        prefix, local = tag.split(":")
        return f"{{{NS[prefix]}}}{local}"

    def attr(self, el, name: str) -> str | None:
        return el.get(self._q(name))

    def validations(self) -> list[OdsValidation]:
        return [
            OdsValidation(self.attr(v, "table:name"), self.attr(v, "table:condition") or "", self.attr(v, "table:base-cell-address") or "")
            for v in self.content.iter(self._q("table:content-validation"))
        ]

    def tables(self) -> dict[str, Any]:
        return {self.attr(t, "table:name"): t for t in self.content.iter(self._q("table:table"))}

    def table_displayed(self) -> dict[str, bool]:
        """Sheet name → visible (``table:display`` of its table style)."""
        props = {}
        for st in self.content.iter(self._q("style:style")):
            if self.attr(st, "style:family") == "table":
                tp = st.find("style:table-properties", NS)
                props[self.attr(st, "style:name")] = tp is None or self.attr(tp, "table:display") != "false"
        return {name: props.get(self.attr(t, "table:style-name"), True) for name, t in self.tables().items()}

    def cell_validations(self, sheet: str, max_rows: int = 40, max_cols: int = 60) -> dict[tuple[int, int], OdsValidation]:
        """(row0, col0) → the validation bound to that cell, for the top-left block.

        Read from the cells themselves (``table:content-validation-name``): LibreOffice's
        ``base-cell-address`` is not reliable (it may name another sheet)."""
        by_name = {v.name: v for v in self.validations()}
        out: dict[tuple[int, int], OdsValidation] = {}
        table = self.tables()[sheet]
        row0 = 0
        for row in table.iter(self._q("table:table-row")):
            rrep = int(self.attr(row, "table:number-rows-repeated") or 1)
            col0 = 0
            for cell in row:
                if cell.tag not in (self._q("table:table-cell"), self._q("table:covered-table-cell")):
                    continue
                crep = int(self.attr(cell, "table:number-columns-repeated") or 1)
                name = self.attr(cell, "table:content-validation-name")
                if name:
                    for r in range(row0, min(row0 + rrep, max_rows)):
                        for c in range(col0, min(col0 + crep, max_cols)):
                            out[(r, c)] = by_name[name]
                col0 += crep
                if col0 >= max_cols:
                    break
            row0 += rrep
            if row0 >= max_rows:
                break
        return out

    def column_cell_styles(self, sheet: str) -> list[str | None]:
        """Default cell style name of each column (0-based), repeats expanded (first 200)."""
        out: list[str | None] = []
        for col in self.tables()[sheet].iter(self._q("table:table-column")):
            n = int(self.attr(col, "table:number-columns-repeated") or 1)
            out.extend([self.attr(col, "table:default-cell-style-name")] * min(n, 200))
            if len(out) >= 200:
                break
        return out

    def data_style_of(self, cell_style: str | None):
        """The number/currency/date style element a cell style uses, or None."""
        if not cell_style:
            return None
        data_name = None
        for root in (self.content, self.styles):
            for st in root.iter(self._q("style:style")):
                if self.attr(st, "style:name") == cell_style:
                    data_name = self.attr(st, "style:data-style-name")
                    break
            if data_name:
                break
        if not data_name:
            return None
        for root in (self.content, self.styles):
            for el in root.iter():
                if el.tag.startswith(f"{{{NS['number']}}}") and el.tag.endswith("-style") and self.attr(el, "style:name") == data_name:
                    return el
        return None

    @staticmethod
    def describe_number_style(el) -> dict[str, Any]:
        """Grouping, display factor and literal texts of a number style."""
        number = el.find("number:number", NS)
        q = "{%s}" % NS["number"]
        return {
            "kind": el.tag.split("}")[1],
            "grouping": number is not None and number.get(q + "grouping") == "true",
            "display_factor": None if number is None else number.get(q + "display-factor"),
            "decimals": None if number is None else number.get(q + "decimal-places"),
            "texts": [t.text or "" for t in el.findall("number:text", NS)],
        }
