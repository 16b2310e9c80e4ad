"""A whole kraj / the country from the templates in one run (``xlkpss merge … --orp-workbooks``)
writes exactly what the separate commands write: one ``xlkpss merge FILES --orp KÓD`` per
ORP, then the regional merge of those workbooks (and the national one of the regional)."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlkpss.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
GEN = "2027-01-15"


def merge(*args: str):
    return CliRunner().invoke(main, ["merge", *args, "--generated", GEN, "-q"])


def same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def separate(files_of: dict[str, list[str]], kraj_of: dict[str, str], out: Path, national: bool) -> None:
    """The separate commands: every ORP, every kraj (, the country)."""
    (out / "orp").mkdir(parents=True)
    for orp, files in sorted(files_of.items()):
        res = merge(*files, "--orp", orp, "-o", str(out / "orp" / f"souhrn_orp_{orp}.xlsx"))
        assert res.exit_code == 0, res.output
    kraje = sorted(set(kraj_of.values()))
    (out / "kraj").mkdir()
    for kraj in kraje:
        mine = [str(out / "orp" / f"souhrn_orp_{o}.xlsx") for o in sorted(files_of) if kraj_of[o] == kraj]
        target = out / "kraj" / f"souhrn_kraj_{kraj}.xlsx" if national else out / "kraj.xlsx"
        res = merge(*mine, "--kraj", kraj, "-o", str(target), *([] if national else ["--html", str(out / "kraj.html")]))
        assert res.exit_code == 0, res.output
    if national:
        res = merge(*sorted(map(str, (out / "kraj").glob("*.xlsx"))), "--level", "stat", "-o", str(out / "cr.xlsx"))
        assert res.exit_code == 0, res.output


def test_kraj_from_the_samples_equals_the_separate_merges(tmp_path):
    a, b = SAMPLES / "orp_4203_chomutov", SAMPLES / "orp_4204_kadan"
    one = tmp_path / "one"
    one.mkdir()
    res = CliRunner().invoke(
        main, ["merge", str(a), str(b), "--kraj", "CZ042", "--orp-workbooks", str(one / "orp"), "-o", str(one / "kraj.xlsx"),
               "--html", str(one / "kraj.html"), "--generated", GEN],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Souhrny ORP uloženy: 2 sešity" in res.output
    assert "území: Ústecký kraj (CZ042)" in res.output
    files = {"4203": sorted(map(str, a.glob("*.xlsx"))), "4204": sorted(map(str, b.glob("*.xlsx")))}
    separate(files, {"4203": "CZ042", "4204": "CZ042"}, tmp_path / "sep", national=False)
    assert sorted(p.name for p in (one / "orp").iterdir()) == ["souhrn_orp_4203.xlsx", "souhrn_orp_4204.xlsx"]
    for orp in files:
        name = f"souhrn_orp_{orp}.xlsx"
        assert same_bytes(one / "orp" / name, tmp_path / "sep" / "orp" / name), name
    assert same_bytes(one / "kraj.xlsx", tmp_path / "sep" / "kraj.xlsx")
    assert same_bytes(one / "kraj.html", tmp_path / "sep" / "kraj.html")  # rendered side by side, the same page
    assert "HTML souhrn uložen" in res.output


def test_country_from_the_samples_equals_the_separate_merges(tmp_path):
    """Two kraje (a Zlín plan among the Ústí files), problem files of every kind included:
    the unreadable ones are in no workbook, so the run says so and ends with 1."""
    one = tmp_path / "one"
    one.mkdir()
    inputs = [SAMPLES / d for d in ("orp_4203_chomutov", "orp_4204_kadan", "plany", "invalid")]
    res = CliRunner().invoke(
        main,
        ["merge", *map(str, inputs), "--level", "stat", "--orp-workbooks", str(one / "orp"),
         "--kraj-workbooks", str(one / "kraj"), "-o", str(one / "cr.xlsx"), "--generated", GEN],
    )  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "prazdny_soubor.xlsx nelze přiřadit k žádné ORP" in res.output
    assert "neni_tabulka_csv_prejmenovane_na_xlsx.xlsx nelze přiřadit" in res.output
    unplaced = {"prazdny_soubor.xlsx", "neni_tabulka_csv_prejmenovane_na_xlsx.xlsx"}
    files: dict[str, list[str]] = defaultdict(list)
    for d in inputs:
        for p in sorted(d.glob("*.xlsx")):
            if p.name not in unplaced:
                files["7213" if p.name == "plan_zlin_2026.xlsx" else "4204" if d.name == "orp_4204_kadan" else "4203"].append(str(p))
    separate(dict(files), {"4203": "CZ042", "4204": "CZ042", "7213": "CZ072"}, tmp_path / "sep", national=True)
    sep = tmp_path / "sep"
    assert sorted(p.name for p in (one / "orp").iterdir()) == sorted(p.name for p in (sep / "orp").iterdir())
    for p in (sep / "orp").iterdir():
        assert same_bytes(one / "orp" / p.name, p), p.name
    assert sorted(p.name for p in (one / "kraj").iterdir()) == ["souhrn_kraj_CZ042.xlsx", "souhrn_kraj_CZ072.xlsx"]
    for p in (sep / "kraj").iterdir():
        assert same_bytes(one / "kraj" / p.name, p), p.name
    assert same_bytes(one / "cr.xlsx", sep / "cr.xlsx")


def test_files_of_another_kraj_are_left_out_with_a_line(tmp_path):
    res = CliRunner().invoke(
        main,
        ["merge", str(SAMPLES / "orp_4204_kadan"), str(SAMPLES / "plany" / "plan_zlin_2026.xlsx"), "--kraj", "CZ042",
         "--orp-workbooks", str(tmp_path / "orp"), "-o", str(tmp_path / "kraj.xlsx"), "--generated", GEN],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Vynechán soubor" in res.output and "plan_zlin_2026.xlsx: předkladatel neleží v území" in res.output
    assert [p.name for p in (tmp_path / "orp").iterdir()] == ["souhrn_orp_4204.xlsx"]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--kraj", "CZ042", "--orp", "4203"], "buď --orp, nebo --kraj"),
        (["--level", "stat"], "--kraj-workbooks"),
        (["--kraj", "CZ042", "--previous", str(SAMPLES / "orp_4204_kadan" / "obec_563102_kadan_sluzby_2026.xlsx")],
         "--previous nelze použít"),
        ([], "zadejte kraj"),
    ],
)
def test_wrong_options_are_usage_errors(tmp_path, extra, words):
    res = CliRunner().invoke(
        main, ["merge", str(SAMPLES / "orp_4204_kadan"), "--orp-workbooks", str(tmp_path / "orp"), "-o", str(tmp_path / "k.xlsx"), *extra]
    )
    assert res.exit_code == 2, res.output
    assert words in res.output
    assert not (tmp_path / "k.xlsx").exists()


def test_an_earlier_run_in_the_input_folder_is_skipped_other_workbooks_refused(tmp_path):
    src = tmp_path / "dosle"
    src.mkdir()
    for p in (SAMPLES / "orp_4204_kadan").glob("*.xlsx"):
        (src / p.name).write_bytes(p.read_bytes())
    args = ["merge", str(src), "--kraj", "CZ042", "--orp-workbooks", str(src / "orp"), "-o", str(tmp_path / "k.xlsx"), "--generated", GEN, "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = (src / "orp" / "souhrn_orp_4204.xlsx").read_bytes()
    res = CliRunner().invoke(main, args)  # the ORP workbook of the first run now lies in dosle/orp/
    assert res.exit_code == 0, res.output
    assert (src / "orp" / "souhrn_orp_4204.xlsx").read_bytes() == first
    (src / "stary_souhrn.xlsx").write_bytes(first)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "souhrnné sešity" in res.output


def test_region_workload_equals_the_separate_merges(tmp_path):
    """A generated kraj (its first two ORPs): obce, ORP plans and providers."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.workload import generate

    w = generate("region", orps=2, libreoffice=0, seed=3, root=tmp_path / "w", log=lambda *_: None)
    one = tmp_path / "one"
    one.mkdir()
    res = merge(str(w.root / "files"), "--kraj", "CZ042", "--orp-workbooks", str(one / "orp"), "-o", str(one / "kraj.xlsx"))
    assert res.exit_code == 0, res.output
    files: dict[str, list[str]] = defaultdict(list)
    for f in w.files:
        files[f.kod_orp].append(str(w.root / "files" / f.path))
    assert len(files) == 2
    separate(dict(files), {o: "CZ042" for o in files}, tmp_path / "sep", national=False)
    for o in files:
        name = f"souhrn_orp_{o}.xlsx"
        assert same_bytes(one / "orp" / name, tmp_path / "sep" / "orp" / name), name
    assert same_bytes(one / "kraj.xlsx", tmp_path / "sep" / "kraj.xlsx")


def test_parts_deflated_in_threads_and_once_per_content_give_the_same_bytes(tmp_path, monkeypatch):
    """The zip of write_consolidated: large parts deflated in worker threads (from the
    moment their XML is complete), small ones once per distinct content — byte for byte
    the zipfile.writestr of the same parts at the same levels."""
    import zipfile

    import pandas as pd

    from xlkpss.merge import xlsxrows
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import write_consolidated

    class LevelOnly(zipfile.ZipFile):  # what the zip was before: writestr, the level by size
        def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
            if compresslevel is None and len(data) > xlsxrows.LARGE_PART:
                compresslevel = xlsxrows.LARGE_PART_LEVEL
            return super().writestr(zinfo_or_arcname, data, compress_type=compress_type, compresslevel=compresslevel)

    c = merge_paths([SAMPLES / "orp_4203_chomutov"], generated=GEN)
    c.tables["services"] = pd.concat([c.tables["services"]] * 60, ignore_index=True)  # a part at level 1
    names = ("default", "threaded", "twice", "serial", "plain")
    default, threaded, twice, serial, plain = (tmp_path / f"{n}.xlsx" for n in names)
    write_consolidated(c, default)
    with monkeypatch.context() as m:
        m.setattr(xlsxrows, "THREAD_PART", 1 << 10)  # nearly every part in a thread, handed over
        write_consolidated(c, threaded)
        write_consolidated(c, twice)  # the small parts from the memo now
        write_consolidated(c, serial, deflate_threads=False)
    with monkeypatch.context() as m:
        m.setattr(xlsxrows, "FastZipFile", LevelOnly)
        m.setattr(xlsxrows, "THREAD_PART", 1 << 40)
        write_consolidated(c, plain)
    assert any(i.file_size > xlsxrows.LARGE_PART for i in zipfile.ZipFile(plain).infolist())
    assert any(i.file_size > 1 << 10 for i in zipfile.ZipFile(plain).infolist())
    for out in (default, threaded, twice, serial):
        assert same_bytes(out, plain), out.name


def test_large_record_sheets_are_deflated_faster_and_read_back_the_same(tmp_path, monkeypatch):
    """Parts over xlsxrows.LARGE_PART go in at zlib level 1: other bytes, the same workbook
    (read back equal; LibreOffice reads the sheet, when installed)."""
    import shutil
    import subprocess
    import zipfile

    import pandas as pd

    from xlkpss.merge import xlsxrows
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import read_consolidated, write_consolidated

    c = merge_paths([SAMPLES / "orp_4203_chomutov"], generated=GEN)
    services = c.tables["services"]
    c.tables["services"] = pd.concat([services] * 60, ignore_index=True)
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    write_consolidated(c, fast)
    large = xlsxrows.LARGE_PART
    monkeypatch.setattr(xlsxrows, "LARGE_PART", 1 << 40)
    write_consolidated(c, slow)
    parts = zipfile.ZipFile(fast).infolist()
    big = [i for i in parts if i.file_size > large]
    assert any(i.file_size > 1 << 20 for i in big), "the test needs a part over 1 MB"
    assert any(i.file_size < 1 << 20 for i in big)  # and smaller sheets over LARGE_PART
    sizes = {i.filename: i.compress_size for i in zipfile.ZipFile(slow).infolist()}
    assert all(i.compress_size > sizes[i.filename] for i in big)  # level 1: larger, faster
    small = [i for i in parts if i.file_size <= large]
    assert small and all(i.compress_size == sizes[i.filename] for i in small)  # the rest as before
    a, b = read_consolidated(fast), read_consolidated(slow)
    for key in b.tables:
        pd.testing.assert_frame_equal(a.tables[key], b.tables[key])
    assert len(a.tables["services"]) == 60 * len(services)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    out = tmp_path / "lo"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", str(out), str(fast)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sheet = next(out.glob("fast-Slu*.csv"))
    lines = sheet.read_text(encoding="utf-8").splitlines()
    assert len([x for x in lines if x.strip(",")]) >= 60 * len(services)
