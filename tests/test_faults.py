"""Fault injection (issue 20): a full disk, a read-only or missing folder, a killed process,
two runs at once — for every kind of output xlkpss writes.

What must hold after every fault: exit code 1 with one Czech sentence („Chyba: výstup …
nelze uložit: …“) naming the path, no traceback, the previous output byte for byte
untouched (or, after a kill, either the old or the complete new file) and no temporary
file left.

- ``ENOSPC`` at the n-th write: the writes to the temporary output are counted in a clean
  run, then a run fails at the first, a random (fixed seed) and the last write;
- a real small filesystem: a tmpfs mounted in a private mount namespace
  (``unshare -rm``) that is filled up, then remounted read-only — skipped with a reason
  where the machine does not allow it;
- ``kill -9`` of a running merge / template at random moments (fixed seed), then the
  next run sweeps the temporary file the killed one could not remove;
- two writers of the same output: interleaved in one process for every kind, and as two
  real processes for the merge and the template;
- sandbox workers killed from outside in the middle of a real validation batch.
"""

from __future__ import annotations

import ast
import builtins
import errno
import io
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from xlkpss import fsutil
from xlkpss.cli import main
from xlkpss.commands._common import OutputPath
from xlkpss.fsutil import TEMP_PREFIX, OutputError, atomic_path, sweep_stale_temps, temp_files

SEED = 20
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
ORP = SAMPLES / "orp_4203_chomutov"
PLAN = ORP / "plan_chomutov_2026.xlsx"
RPSS = SAMPLES / "registr" / "rpss_ukazka.json"
INVALID = SAMPLES / "invalid" / "kapacita_text_cca_20.xlsx"
XLKPSS = [sys.executable, "-c", "from xlkpss.cli import run; run()"]
SENTINEL = b"PREVIOUS OUTPUT - must survive\n" * 8


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cons") / "orp_4203.xlsx"
    res = CliRunner().invoke(main, ["merge", str(ORP), "--orp", "4203", "-o", str(out), "--generated", "2026-03-01", "-q"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["history", "add", str(out), "--db", str(out.with_name("kpss.duckdb"))])
    assert res.exit_code == 0, res.output
    return out


# --------------------------------------------------------------------------------------
# the output kinds
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of output: ``args(target, consolidated)`` → the command line writing ``target``.

    ``folder``: the option names a folder and ``target`` is one file xlkpss writes into it;
    ``several``: the command writes more than one file (into the folder of ``target``).
    """

    name: str
    args: Callable[[Path, Path], list[str]]
    file_name: str
    folder: bool = False
    several: bool = False
    ok_codes: tuple[int, ...] = (0,)


def _folder(t: Path) -> str:
    return str(t.parent)


KINDS = [
    Kind("template", lambda t, c: ["template", "sluzby", "--orp", "4203", "-o", str(t)], "sablona.xlsx"),
    Kind("template --prefill", lambda t, c: ["template", "sluzby", "--prefill", str(c), "--obec", "563099", "--year", "2027", "-o", str(t)], "predvyplneno.xlsx"),
    Kind("template --per-submitter", lambda t, c: ["template", "sluzby", "--prefill", str(c), "--obec", "563099", "--year", "2027", "--per-submitter", _folder(t)], "seznam_souboru.csv", folder=True, several=True),
    Kind("validate --annotate", lambda t, c: ["validate", str(INVALID), "-q", "--annotate", _folder(t)], "kapacita_text_cca_20_kontrola.xlsx", folder=True, several=True, ok_codes=(1,)),
    Kind("validate --format json -o", lambda t, c: ["validate", str(INVALID), "--format", "json", "-o", str(t)], "kontrola.json", ok_codes=(1,)),
    Kind("validate --format csv -o", lambda t, c: ["validate", str(INVALID), "--format", "csv", "-o", str(t)], "kontrola.csv", ok_codes=(1,)),
    Kind("merge", lambda t, c: ["merge", str(ORP), "--orp", "4203", "-o", str(t), "--generated", "2026-03-01", "-q"], "souhrn.xlsx"),
    Kind("merge --html", lambda t, c: ["merge", str(c), "--kraj", "CZ042", "-o", str(t.with_name("kraj.xlsx")), "--html", str(t), "--generated", "2026-03-01", "-q"], "souhrn.html", several=True),
    Kind("report", lambda t, c: ["report", str(c), "-o", str(t)], "souhrn.html"),
    Kind("fulfilment", lambda t, c: ["fulfilment", str(PLAN), "-o", str(t)], "plneni.xlsx"),
    Kind("fulfilment --html", lambda t, c: ["fulfilment", str(PLAN), "--html", str(t)], "plneni.html"),
    Kind("rollover", lambda t, c: ["rollover", str(PLAN), "--date", "2027-01-15", "-o", str(t)], "plan_2027.xlsx"),
    Kind("catalogue", lambda t, c: ["catalogue", str(c), "-o", str(t)], "katalog.html"),
    Kind("catalogue --csv", lambda t, c: ["catalogue", str(c), "-o", str(t.with_name("k.html")), "--csv", str(t)], "katalog.csv", several=True),
    Kind("history report", lambda t, c: ["history", "report", "--db", str(c.with_name("kpss.duckdb")), "-o", str(t)], "trendy.html"),
    Kind("registry import", lambda t, c: ["registry", "import", str(RPSS), "--orp", "4203", "-o", str(t), "-q"], "registr.xlsx"),
]
KIND_IDS = [k.name for k in KINDS]


def complete(path: Path) -> bool:
    """Is ``path`` a whole output of its kind (not cut short)?"""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as z:
                return z.testzip() is None and "[Content_Types].xml" in z.namelist()
        except zipfile.BadZipFile:
            return False
    if suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    if suffix == ".json":
        try:
            json.loads(data)
        except ValueError:
            return False
        return True
    if suffix == ".csv":
        return data.endswith(b"\n")
    if suffix == ".pdf":
        return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    raise AssertionError(suffix)


# --------------------------------------------------------------------------------------
# a patched write: counts the writes to xlkpss temporary outputs, fails the n-th with ENOSPC
# --------------------------------------------------------------------------------------


class _Disk:
    def __init__(self, fail_at: int | None = None, on_write: Callable[[int], None] | None = None, err: int = errno.ENOSPC,
                 within: Path | None = None):
        self.fail_at, self.on_write, self.err, self.within = fail_at, on_write, err, within
        self.writes = 0
        self.paused = False

    def write(self) -> None:
        if self.paused:
            return
        self.writes += 1
        if self.on_write is not None:
            self.on_write(self.writes)
        if self.fail_at is not None and self.writes >= self.fail_at:
            raise OSError(self.err, os.strerror(self.err))


class _File:
    """A file object whose writes go through the ``_Disk``."""

    def __init__(self, fh, disk: _Disk):
        self._fh, self._disk = fh, disk

    def write(self, data):
        self._disk.write()
        return self._fh.write(data)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __iter__(self):
        return iter(self._fh)

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.fixture
def disk(monkeypatch):
    """``disk(fail_at=…)`` patches ``open`` for files named like xlkpss temporary outputs."""
    real_open = builtins.open

    def install(**kw) -> _Disk:
        d = _Disk(**kw)

        def fake_open(file, mode="r", *args, **kwargs):
            fh = real_open(file, mode, *args, **kwargs)
            name = Path(os.fsdecode(file)) if isinstance(file, (str, os.PathLike)) else None
            if name is not None and any(part.startswith(TEMP_PREFIX) for part in name.parts) and (
                d.within is None or name.is_relative_to(d.within)
            ) and any(
                m in mode for m in "wax+"
            ):
                return _File(fh, d)
            return fh

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)
        return d

    return install


def _run(args: list[str]):
    return CliRunner().invoke(main, args)


def _assert_refused(res, target: Path, words: str) -> None:
    out = res.output
    assert res.exit_code == 1, out
    assert isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in out
    assert out.count("Chyba: ") == 1 and f"výstup {target} nelze uložit: {words}" in out, out


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_full_disk_at_the_nth_write(kind: Kind, consolidated: Path, tmp_path: Path, disk, monkeypatch) -> None:
    rng = random.Random(f"{SEED}-{kind.name}")
    out = tmp_path / "out"
    out.mkdir()
    target = out / kind.file_name
    counter = disk()
    res = _run(kind.args(target, consolidated))
    assert res.exit_code in kind.ok_codes, res.output
    assert complete(target) and temp_files(out) == []
    total = counter.writes
    assert total >= 1, "the output was not written through atomic_path"
    reference = {p.name: p.read_bytes() for p in out.iterdir()}
    for n in sorted({1, rng.randint(1, total), total}):
        for p in out.iterdir():
            p.write_bytes(SENTINEL)  # the previous outputs
        disk(fail_at=n)
        res = _run(kind.args(target, consolidated))
        failed = next(p for p in out.iterdir() if f"výstup {p} nelze" in res.output)
        _assert_refused(res, failed, "na disku není volné místo. Uvolněte místo")
        assert "Dřívější soubor" in res.output and "zůstal beze změny" in res.output
        assert failed.read_bytes() == SENTINEL
        assert temp_files(out) == []
        # every other file is the old one or a whole new one (a folder output stops at the failed file)
        for p in out.iterdir():
            assert p.read_bytes() in (SENTINEL, reference[p.name]), p
        if not kind.several:
            assert failed == target
    monkeypatch.undo()


@pytest.mark.parametrize(
    "err, words",
    [
        (errno.EROFS, "složka {folder} je jen pro čtení"),
        (errno.EACCES, "do složky {folder} nemáte oprávnění zapisovat"),
        (errno.ENAMETOOLONG, "jméno souboru nebo cesta k němu je příliš dlouhá"),
        (errno.EDQUOT, "je vyčerpáno místo na disku"),
        (errno.EIO, "disk ohlásil chybu zápisu"),
    ],
)
@pytest.mark.parametrize("step", ["create", "replace"])
def test_os_errors_after_the_checks(err, words, step, consolidated, tmp_path, monkeypatch) -> None:
    """The folder changes after the up-front check: creating the temporary file or moving it
    into place fails — still one Czech sentence, the old file, no temporary file."""
    kind = KINDS[0] if step == "create" else KINDS[8]  # template (xlsxwriter), report (text)
    target = tmp_path / kind.file_name
    target.write_bytes(SENTINEL)
    boom = OSError(err, os.strerror(err))
    if step == "create":
        real = fsutil.tempfile.mkstemp

        def mkstemp(*a, **kw):
            boom.filename = str(tmp_path / ".~xlkpss-x")
            raise boom

        monkeypatch.setattr(fsutil.tempfile, "mkstemp", mkstemp)
    else:
        real = os.replace

        def replace(src, dst, *a, **kw):
            if Path(dst) == target:
                raise OSError(err, os.strerror(err), str(src), None, str(dst))
            return real(src, dst, *a, **kw)

        monkeypatch.setattr(fsutil.os, "replace", replace)
    res = _run(kind.args(target, consolidated))
    _assert_refused(res, target, words.format(folder=tmp_path))
    assert target.read_bytes() == SENTINEL and temp_files(tmp_path) == []


@pytest.mark.parametrize(
    "name, args, marker",
    [
        ("parquet", lambda c, t: ["export", str(c), "--parquet", str(t)], "sloupce.csv"),
        ("hsds", lambda c, t: ["catalogue", str(c), "-o", str(t.parent.parent / "k.html"), "--hsds", str(t)], "datapackage.json"),
    ],
)
def test_folder_replaced_as_a_whole_or_not_at_all(name, args, marker, consolidated: Path, tmp_path: Path, disk) -> None:
    """Outputs that are a folder of files (Parquet, HSDS): a full disk half-way leaves the
    previous folder complete and no temporary folder."""
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / name
    counter = disk(within=tmp_path / "data")
    res = _run(args(consolidated, target))
    assert res.exit_code == 0, res.output
    total = counter.writes
    assert total >= 1
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    for n in sorted({1, random.Random(f"{SEED}-{name}").randint(1, total), total}):
        disk(fail_at=n, within=tmp_path / "data")
        res = _run(args(consolidated, target))
        _assert_refused(res, target, "na disku není volné místo")
        assert {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
        assert temp_files(tmp_path) == [] and temp_files(tmp_path / "data") == []
    assert (target / marker).is_file()


# --------------------------------------------------------------------------------------
# checked before any work: missing folder, a folder in the way, a file in the way, long name
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_bad_output_places_are_refused_up_front(kind: Kind, consolidated: Path, tmp_path: Path) -> None:
    cases: list[tuple[Path, str]] = []
    if kind.folder:
        blocker = tmp_path / "soubor_misto_slozky"
        blocker.write_bytes(SENTINEL)
        cases.append((blocker / kind.file_name, f"výstup {blocker} nelze uložit: na tomto místě už je soubor, ne složka"))
    else:
        cases.append((tmp_path / "neni" / "tu" / kind.file_name, f"složka {tmp_path / 'neni'} neexistuje. Vytvořte ji"))
        in_the_way = tmp_path / "slozka"
        (in_the_way / kind.file_name).mkdir(parents=True)
        cases.append((in_the_way / kind.file_name, "na tomto místě už je složka. Zadejte jméno souboru"))
        a_file = tmp_path / "soubor"
        a_file.write_bytes(SENTINEL)
        cases.append((a_file / kind.file_name, f"{a_file} není složka, ale soubor"))
        long_name = tmp_path / ("dlouhe_jmeno_" * 25 + kind.file_name)
        cases.append((long_name, "jméno souboru nebo cesta k němu je příliš dlouhá"))
    for target, words in cases:
        started = time.monotonic()
        res = _run(kind.args(target, consolidated))
        assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
        assert "Traceback" not in res.output and words in res.output, res.output
        assert res.output.startswith("Chyba: ") and res.output.count("Chyba: ") == 1
        assert time.monotonic() - started < 5  # refused before the work, not after it
    assert not any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.rglob("*"))
    if kind.folder:
        assert blocker.read_bytes() == SENTINEL


def test_pdf_cut_short_by_the_printer_is_refused(consolidated: Path, tmp_path: Path, monkeypatch) -> None:
    """Chromium may stop writing a PDF on a full disk without an error: the completeness
    check refuses it and the previous PDF stays."""
    fake = tmp_path / "chromium"
    fake.write_text(
        "#!/bin/sh\nfor a; do case $a in --print-to-pdf=*) printf '%%PDF-1.4\\n1 0 obj' > \"${a#--print-to-pdf=}\";; esac; done\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("XLKPSS_CHROMIUM", str(fake))
    pdf = tmp_path / "katalog.pdf"
    pdf.write_bytes(SENTINEL)
    res = _run(["catalogue", str(consolidated), "-o", str(tmp_path / "k.html"), "--pdf", str(pdf)])
    _assert_refused(res, pdf, "soubor se nepodařilo zapsat celý (PDF není celé)")
    assert pdf.read_bytes() == SENTINEL and temp_files(tmp_path) == []


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None, reason="Chromium is not installed")
def test_pdf_onto_a_full_disk_is_refused(consolidated: Path, tmp_path: Path, disk) -> None:
    pdf = tmp_path / "katalog.pdf"
    pdf.write_bytes(SENTINEL)
    # the HTML page is written first: a full disk at its first write
    disk(fail_at=1)
    res = _run(["catalogue", str(consolidated), "-o", str(tmp_path / "k.html"), "--pdf", str(pdf)])
    _assert_refused(res, tmp_path / "k.html", "na disku není volné místo")
    assert pdf.read_bytes() == SENTINEL and temp_files(tmp_path) == []


# --------------------------------------------------------------------------------------
# a real small filesystem (tmpfs in a private mount namespace)
# --------------------------------------------------------------------------------------


def _can_mount() -> str | None:
    """None when ``unshare -rm`` can mount a tmpfs here, else why not."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "needs Linux with unshare"
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d; rc=$?; rmdir $d; exit $rc"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return None if probe.returncode == 0 else f"cannot mount a tmpfs in a user namespace: {probe.stderr.strip()[:200]}"


_HELPER = r"""
import json, os, subprocess, sys
from pathlib import Path
from click.testing import CliRunner
from xlkpss.cli import main
from xlkpss.fsutil import temp_files
spec = json.loads(sys.argv[1])
mnt = Path(spec["mount"])
out = []
for case in spec["cases"]:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={case['size']}", "tmpfs", str(mnt)], check=True)
    target = mnt / case["name"]
    target.write_bytes(case["previous"].encode())
    free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
    if free > case["free"]:
        with open(mnt / "vypln", "wb") as fh:  # fill the disk up to the wanted free space
            fh.write(b"x" * (free - case["free"]))
    if case["readonly"]:
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    res = CliRunner().invoke(main, [a.replace("@TARGET@", str(target)) for a in case["args"]])
    out.append({
        "kind": case["kind"], "readonly": case["readonly"], "code": res.exit_code, "output": res.output,
        "exception": type(res.exception).__name__, "previous": target.read_bytes().decode(errors="replace"),
        "temps": [p.name for p in temp_files(mnt)], "target": str(target),
    })
    subprocess.run(["umount", str(mnt)], check=True)
print(json.dumps(out))
"""


def test_real_full_and_read_only_filesystem(consolidated: Path, tmp_path: Path) -> None:
    why = _can_mount()
    if why:
        pytest.skip(why)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    previous = "PREVIOUS OUTPUT\n" * 100
    cases = []
    for kind in KINDS:
        if kind.folder:
            continue
        args = kind.args(Path("@TARGET@"), consolidated)
        for readonly in (False, True):
            cases.append({"kind": kind.name, "args": args, "name": kind.file_name, "previous": previous,
                          "size": "1m", "free": 0, "readonly": readonly})  # fmt: skip
    proc = subprocess.run(
        ["unshare", "-rm", sys.executable, "-c", _HELPER, json.dumps({"mount": str(mnt), "cases": cases})],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(cases)
    for r in results:
        what = "je jen pro čtení" if r["readonly"] else "na disku není volné místo"
        assert r["code"] == 1 and r["exception"] == "SystemExit", r
        assert "Traceback" not in r["output"] and f"výstup {r['target']} nelze uložit" in r["output"], r
        assert what in r["output"], r
        assert r["previous"] == previous and r["temps"] == [], r


# --------------------------------------------------------------------------------------
# permission denied for real (an ordinary user, not root)
# --------------------------------------------------------------------------------------


def test_real_permission_denied(tmp_path: Path) -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="xlkpss-faults-", dir="/tmp"))  # pytest's tmp_path is private to root
    base.chmod(0o755)
    folder = base / "cizi"
    folder.mkdir()
    target = folder / "sablona.xlsx"
    target.write_bytes(SENTINEL)
    cmd = [*XLKPSS, "template", "sluzby", "-o", str(target)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root without setpriv: cannot run as an ordinary user")
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    else:
        folder.chmod(0o555)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/",
                              env={**os.environ, "HOME": "/tmp"})  # fmt: skip
    finally:
        folder.chmod(0o755)
    try:
        _check_denied(proc, folder, target)
    finally:
        shutil.rmtree(base)


def _check_denied(proc, folder: Path, target: Path) -> None:
    if proc.returncode != 0 and "Permission denied" in proc.stderr and "xlkpss" not in proc.stderr:
        pytest.skip(f"the ordinary user cannot run this Python: {proc.stderr[:200]}")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"Chyba: výstup {target} nelze uložit: do složky {folder} nemáte oprávnění zapisovat")
    assert "Traceback" not in proc.stderr
    assert target.read_bytes() == SENTINEL and temp_files(folder) == []


# --------------------------------------------------------------------------------------
# two writers at once
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_two_writers_interleaved(kind: Kind, consolidated: Path, tmp_path: Path, disk) -> None:
    """Run B starts and finishes while run A is half-way through writing the same output:
    both succeed, the file is A's complete output (the later move wins), no temp is left."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / kind.file_name
    inner: list = []
    state = disk()

    def second_writer(n: int) -> None:
        if n == 1 and not inner:
            state.paused = True
            assert len(temp_files(out)) == 1  # A's half-written temporary file
            inner.append(_run(kind.args(target, consolidated)))
            state.paused = False
            assert complete(target)  # B's whole file is already in place

    state.on_write = second_writer
    res = _run(kind.args(target, consolidated))
    assert inner, "the output was not written through atomic_path"
    assert res.exit_code in kind.ok_codes and inner[0].exit_code in kind.ok_codes, (res.output, inner[0].output)
    assert complete(target) and temp_files(out) == []


def _reference_bytes(args: list[str], target: Path) -> bytes:
    res = _run([a.replace("@T@", str(target)) for a in args])
    assert res.exit_code == 0, res.output
    return target.read_bytes()


def test_two_processes_write_the_same_output(consolidated: Path, tmp_path: Path) -> None:
    """Two real processes: the result is exactly one of the two outputs, never a mix."""
    ref = tmp_path / "ref"
    ref.mkdir()
    jobs = {
        "template": (["template", "sluzby", "--orp", "4203", "--year", "2026", "-o", "@T@"],
                     ["template", "sluzby", "--orp", "4204", "--year", "2027", "-o", "@T@"]),
        "report": (["report", str(consolidated), "-o", "@T@"], ["catalogue", str(consolidated), "-o", "@T@"]),
    }  # fmt: skip
    suffix = {"template": ".xlsx", "report": ".html"}
    refs = {
        name: {_reference_bytes(a, ref / f"{name}{i}{suffix[name]}") for i, a in enumerate(pair)}
        for name, pair in jobs.items()
    }
    out = tmp_path / "out"
    out.mkdir()
    for _round in range(1):
        procs = []
        for name, pair in jobs.items():
            target = out / f"{name}{suffix[name]}"
            for args in pair:
                procs.append((name, target, subprocess.Popen([*XLKPSS, *(a.replace("@T@", str(target)) for a in args)],
                                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)))  # fmt: skip
        for name, target, p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
        for name, pair in jobs.items():
            target = out / f"{name}{suffix[name]}"
            assert target.read_bytes() in refs[name] and len(refs[name]) == 2
        assert temp_files(out) == []


# --------------------------------------------------------------------------------------
# kill -9 at random moments
# --------------------------------------------------------------------------------------


def test_killed_writer_leaves_old_or_new_and_the_next_run_sweeps(consolidated: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "souhrn.xlsx"
    # the same command as the ``consolidated`` fixture: its bytes are the complete new file
    args = [*XLKPSS, "merge", str(ORP), "--orp", "4203", "-o", str(target), "--generated", "2026-03-01", "-q"]
    new = consolidated.read_bytes()
    outcomes = set()
    left_by_dead: list[str] = []
    for moment in sorted(rng.uniform(0.3, 3.0) for _ in range(5)):
        target.write_bytes(SENTINEL)
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        data = target.read_bytes()
        assert data in (SENTINEL, new), f"killed at {moment:.2f} s: a mixed file"
        outcomes.add("old" if data == SENTINEL else "new")
        for t in temp_files(out):
            assert f"-{p.pid}-" in t.name  # only the dead run's own, tagged temporary file
            left_by_dead.append(t.name)
    # the next run into the folder removes what the killed ones could not
    (out / f"{TEMP_PREFIX}0000-1-abc-cizi.xlsx").write_bytes(b"x")  # another computer's, fresh: kept
    res = _run(["template", "sluzby", "-o", str(out / "sablona.xlsx")])
    assert res.exit_code == 0, res.output
    assert [t.name for t in temp_files(out)] == [f"{TEMP_PREFIX}0000-1-abc-cizi.xlsx"]
    assert outcomes  # the report of what happened when the assertion above fails


def test_sweep_keeps_temps_of_live_processes(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        host = fsutil._HOST
        names = [f"{TEMP_PREFIX}{host}-{live.pid}-aaaa-x.xlsx", f"{TEMP_PREFIX}{host}-{dead.pid}-bbbb-x.xlsx", "obycejny.xlsx"]
        for n in names:
            (tmp_path / n).write_bytes(b"x")
        removed = sweep_stale_temps(tmp_path, force=True)
        assert [p.name for p in removed] == [names[1]]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names[0], names[2]])
    finally:
        live.kill()
        live.wait()


def test_atomic_path_keeps_the_old_file_on_any_exception(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    target.write_bytes(SENTINEL)
    with pytest.raises(KeyError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyError("boom")
    assert target.read_bytes() == SENTINEL and temp_files(tmp_path) == []
    # a "workbook" that is not a whole zip is never moved into place
    with pytest.raises(OutputError) as exc:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"PK\x03\x04 half a zip")
    assert exc.value.reason in ("incomplete", "no-space") and "zůstal beze změny" in str(exc.value)
    assert target.read_bytes() == SENTINEL and temp_files(tmp_path) == []


# --------------------------------------------------------------------------------------
# sandbox workers killed in the middle of a batch; input folder changing while read
# --------------------------------------------------------------------------------------


def test_killed_sandbox_workers_cost_one_file_each(tmp_path: Path) -> None:
    from xlkpss.validate.engine import collect_paths, validate_paths

    files = collect_paths([ORP, SAMPLES / "invalid"])
    baseline = {str(r.path): sorted(i.code for i in r.issues) for r in validate_paths(files, workers=2)}
    rng = random.Random(SEED)
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set() and len(killed) < 3:
            time.sleep(rng.uniform(0.05, 0.4))
            children = [c for c in mp.active_children() if c.pid]
            if children:
                victim = rng.choice(children)
                try:
                    os.kill(victim.pid, signal.SIGKILL)
                    killed.append(victim.pid)
                except ProcessLookupError:
                    pass

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    try:
        results = validate_paths(files, workers=2)
    finally:
        stop.set()
        t.join()
    assert [str(r.path) for r in results] == [str(p) for p in files]  # nothing lost
    changed = {str(r.path): sorted(i.code for i in r.issues) for r in results if sorted(i.code for i in r.issues) != baseline[str(r.path)]}
    assert len(changed) <= len(killed)
    for path, codes in changed.items():
        assert codes == ["file-memory"], (path, codes)  # one clear file-level issue
    assert mp.active_children() == []


def test_input_folder_changing_while_read_is_reported(tmp_path: Path, monkeypatch) -> None:
    from xlkpss.validate import engine

    folder = tmp_path / "dosle"
    shutil.copytree(ORP, folder)
    gone = folder / "obec_563200_malkov_sluzby_2026.xlsx"
    late = folder / "obec_pozde_sluzby_2026.xlsx"
    real = engine.validate_paths

    def changing(paths, **kw):
        gone.unlink()  # removed after the listing, before it is read
        shutil.copy(ORP / "obec_563013_brezno_sluzby_2026.xlsx", late)  # added after the listing
        return real(paths, **kw)

    monkeypatch.setattr(engine, "validate_paths", changing)
    res = _run(["validate", str(folder), "--format", "json", "-o", str(tmp_path / "k.json")])
    assert res.exit_code == 1
    assert f"soubor {late} přibyl až během zpracování a nebyl zpracován" in res.output
    assert f"soubor {gone} zmizel během zpracování" in res.output
    report = json.loads((tmp_path / "k.json").read_text())
    text = json.dumps(report, ensure_ascii=False)
    assert gone.name in text and late.name not in text  # what was read, and the vanished file as a problem


# --------------------------------------------------------------------------------------
# every command that writes uses OutputPath, every write goes through atomic_path
# --------------------------------------------------------------------------------------

#: Path parameters that are inputs although they may name a folder or a missing file
#: (reported as "not found" per file): command path → parameter names
INPUT_PATH_PARAMS = {"validate": {"paths"}, "merge": {"paths"}, "history add": {"workbooks"}}


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path + " ")
        else:
            yield path, cmd


def test_every_output_option_uses_the_safe_output_type() -> None:
    seen_outputs = 0
    for path, cmd in _commands(main):
        for p in cmd.params:
            if not isinstance(p.type, click.Path):
                continue
            if isinstance(p.type, OutputPath):
                seen_outputs += 1
                continue
            # any other path must be an existing input
            assert p.type.exists or p.name in INPUT_PATH_PARAMS.get(path, ()), (
                f"xlkpss {path}: {p.name} is a path that need not exist — an output? use "
                "commands._common.OutputPath (or declare exists=True for an input)"
            )
    assert seen_outputs >= 14


#: modules that write only into their own temporary folders (never a user's output)
_OWN_TEMP_WRITERS = {"read/engine_xlrd_ods.py", "template/refresh.py"}


def _writes_outside_atomic_path(source: str) -> list[int]:
    """Line numbers of file writes not inside a ``with atomic_path(...)`` (or ``atomic_dir``) block."""
    tree = ast.parse(source)
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", getattr(i.context_expr.func, "attr", "")) in ("atomic_path", "atomic_dir")
            for i in node.items
        ):
            for sub in ast.walk(node):
                if hasattr(sub, "lineno"):
                    guarded.add(sub.lineno)
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = getattr(f, "attr", getattr(f, "id", ""))
        writes = name in ("write_text", "write_bytes", "save") or (
            name == "Workbook" and getattr(getattr(f, "value", None), "id", "") == "xlsxwriter"
        )
        if name == "open" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            writes = any(m in str(node.args[1].value) for m in "wax+")
        if writes and node.lineno not in guarded:
            bad.append(node.lineno)
    return bad


def test_every_file_write_goes_through_atomic_path() -> None:
    pkg = ROOT / "xlkpss"
    offenders = []
    for py in sorted(pkg.rglob("*.py")):
        rel = py.relative_to(pkg).as_posix()
        if rel == "fsutil.py" or rel in _OWN_TEMP_WRITERS:
            continue
        for line in _writes_outside_atomic_path(py.read_text(encoding="utf-8")):
            offenders.append(f"xlkpss/{rel}:{line}")
    assert offenders == [], "write through xlkpss.fsutil.atomic_path / write_text_atomic: " + ", ".join(offenders)


def test_resolve_paths_gives_what_path_resolve_gives(tmp_path: Path, monkeypatch) -> None:
    """The fast resolution of many inputs (one ``resolve`` a folder) is ``Path.resolve``
    for each: symbolic links to files and to folders, ``..``, relative and missing paths."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.xlsx").write_text("x")
    os.symlink(tmp_path / "a", tmp_path / "link")
    os.symlink(tmp_path / "a" / "f.xlsx", tmp_path / "a" / "g.xlsx")
    os.symlink(tmp_path / "nowhere.xlsx", tmp_path / "a" / "dangling.xlsx")
    monkeypatch.chdir(tmp_path)
    cases = [tmp_path / "a" / "f.xlsx", tmp_path / "link" / "f.xlsx", tmp_path / "a" / "g.xlsx",
             tmp_path / "a" / "dangling.xlsx", tmp_path / "a" / "missing.xlsx", Path("a/f.xlsx"),
             Path("link/../a/f.xlsx"), Path("link/g.xlsx"), Path("."), Path(".."), Path("a/.."),
             Path("nowhere/x/y.xlsx"), tmp_path / "link", Path("link"), "a/f.xlsx"]  # fmt: skip
    got = fsutil.resolve_paths(cases)
    assert got == [Path(p).resolve() for p in cases]
    assert got[1] == got[2] == tmp_path.resolve() / "a" / "f.xlsx"  # the links are followed
