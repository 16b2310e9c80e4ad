"""The yearly fulfilment sheet (issue 6): plan tree, marks, percentages, the printable
workbook (reopened with openpyxl, and printed to PDF by LibreOffice), the HTML page and
the CLI's refusal of files with errors."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import lo  # tests/lo.py
import openpyxl
import pytest
from click.testing import CliRunner
from support import make_submission

from xlkpss.cli import main
from xlkpss.plan import MARK, PlanRefused, build_tree, continues, load_plans, marks, period_years
from xlkpss.plan.tree import stats_by_priority
from xlkpss.render.fulfilment import SUMMARY_SHEET, render_fulfilment_html, sheet_name, write_fulfilment

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"

INJECTION = '=HYPERLINK("http://zlo.example","klikni")'

PLAN_IDENT = {
    "typ_predkladatele": "obec",
    "kod_obce": "562971",
    "ico": "00261891",
    "nazev": "Statutární město Chomutov",
    "kod_orp": "Chomutov",
    "kod_kraje": "Ústecký kraj",
    "rok": 2026,
    "nazev_planu": "Krátkodobý plán rozvoje sociálních služeb statutárního města Chomutova",
    "obdobi": "2025/2026",
    "misto": "Chomutov",
    "zpracoval": "Kateřina Pecháčková",
    "schvalil": "Mgr. Alena Tölgová, manažerka projektu",
    "email": "katerina.pechackova@chomutov-mesto.cz",
    "datum_vyplneni": dt.date(2026, 9, 3),
}

# seed 004 shaped: priorita → opatření (with a goal sentence) → aktivita, every status
PLAN_ROWS = [
    {
        "cislo": "1",
        "uroven": "priorita",
        "nazev": "Cílené vytváření finančních prostředků pro udržení a rozvoj sociálních služeb",
    },
    {
        "cislo": "1.1",
        "uroven": "opatření",
        "nazev": "Přímá podpora poskytovatelů sociálních služeb",
        "popis": "Vyčlenit část ročního rozpočtu statutárního města Chomutova na podporu subjektů poskytujících sociální služby.",
    },
    {
        "cislo": "1.1.1",
        "uroven": "aktivita",
        "nazev": "vyčlenit část rozpočtu na provoz MÚSS Chomutov",
        "realizator": "Odbor sociálních věcí",
        "rozpocet": 2_774_600,
        "cerpano": 2_650_000,
        "indikator": "počet podpořených služeb",
        "cilova_hodnota": 12,
        "dosazena_hodnota": 11,
        "stav": "splněno",
        "pokracuje": "ano",
    },
    {
        "cislo": "1.1.2",
        "uroven": "aktivita",
        "nazev": "vyčlenit část rozpočtu pro podporu ostatních poskytovatelů",
        "stav": "splněno",
        "indikator": "počet poskytovatelů",
        "cilova_hodnota": 5,
        "dosazena_hodnota": 5.5,
        "komentar": "Navýšeno rozpočtovým opatřením.",
    },
    {"cislo": "1.2", "uroven": "opatření", "nazev": "Spolufinancování projektů"},
    {
        "cislo": "1.2.1",
        "uroven": "aktivita",
        "nazev": "vytvořit pravidla pro spolufinancování rozvojových projektů",
        "stav": "nesplněno",
    },
    {"cislo": "1.2.2", "uroven": "aktivita", "nazev": INJECTION, "stav": "částečně splněno"},
    {"cislo": "2", "uroven": "priorita", "nazev": "Aktivní zapojení veřejnosti do plánování sociálních služeb"},
    {"cislo": "2.1", "uroven": "opatření", "nazev": "Informovanost veřejnosti o sociálních službách"},
    {
        "cislo": "2.1.1",
        "uroven": "aktivita",
        "nazev": "zřídit informační box na magistrátu",
        "stav": "zrušeno",
        "pokracuje": "ano",
    },
    {"cislo": "2.1.2", "uroven": "aktivita", "nazev": "seznamovat veřejnost se zákonem o sociálních službách"},
    {
        "cislo": "2.1.10",
        "uroven": "aktivita",
        "nazev": "uspořádat seminář pro uživatele",
        "stav": "nesplněno",
        "pokracuje": "ne",
    },
]

PROJECTS = [
    {
        "projekt": "Vybudování sociálních bytů pro rodiny s dětmi",
        "realizator": "Statutární město Chomutov",
        "termin_dokonceni": "2027",
        "rozpocet": 12_000_000,
        "stav": "probíhá",
    },
    {
        "projekt": "Vybudování centra osobní hygieny v DPS Merkur",
        "realizator": "MÚSS Chomutov",
        "termin_dokonceni": "2026",
        "stav": "dokončen",
    },
]


def make_plan(path: Path, rows=None, ident=None, projects=None) -> Path:
    values = dict(PLAN_IDENT)
    values.update(ident or {})
    make_submission(
        path,
        "plan",
        PLAN_ROWS if rows is None else rows,
        ident=values,
        sheet_rows={"projekty": PROJECTS if projects is None else projects},
        orp="4203",
    )
    _text_not_formulas(path)
    return path


def _text_not_formulas(path: Path) -> None:
    """openpyxl stores a string starting with "=" as a formula; a person typing it into a
    text cell gets text, so store it as text."""
    wb = openpyxl.load_workbook(path)
    changed = False
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"
                    changed = True
    if changed:
        wb.save(path)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory) -> Path:
    return make_plan(tmp_path_factory.mktemp("plan") / "plan_chomutov_2026.xlsx")


@pytest.fixture(scope="module")
def jirkov_file(tmp_path_factory) -> Path:
    rows = [
        {"cislo": "1", "uroven": "priorita", "nazev": "Senioři"},
        {"cislo": "1.1", "uroven": "aktivita", "nazev": "rozšířit pečovatelskou službu", "stav": "splněno"},
        {"cislo": "1.2", "uroven": "aktivita", "nazev": "zřídit denní stacionář", "stav": "splněno"},
        {"cislo": "2", "uroven": "priorita", "nazev": "Rodiny s dětmi"},
        {"cislo": "2.1", "uroven": "aktivita", "nazev": "podpořit nízkoprahový klub", "stav": "nesplněno"},
    ]
    ident = {
        "kod_obce": "563099",
        "ico": "00261904",
        "nazev": "Město Jirkov",
        "nazev_planu": None,
        "obdobi": "2026",
        "misto": "Jirkov",
    }
    return make_plan(tmp_path_factory.mktemp("jirkov") / "plan_jirkov_2026.xlsx", rows, ident, projects=[])


@pytest.fixture(scope="module")
def plan(plan_file):
    (p,) = load_plans([plan_file])
    return p


# --- the tree and the marks ---------------------------------------------------------------------


def test_tree_in_number_order_with_levels(plan):
    numbers = [i.number for i in plan.tree.items]
    assert numbers == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "1.2.2", "2", "2.1", "2.1.1", "2.1.2", "2.1.10"]
    assert [r.number for r in plan.tree.priorities] == ["1", "2"]
    assert [i.number for i in plan.tree.activities] == ["1.1.1", "1.1.2", "1.2.1", "1.2.2", "2.1.1", "2.1.2", "2.1.10"]
    assert plan.tree.find("1.1").description.startswith("Vyčlenit část ročního rozpočtu")


def test_tree_from_rows_keeps_orphans_and_sorts_naturally():
    tree = build_tree(
        [
            {"cislo": "1.10", "uroven": "aktivita", "nazev": "deset", "_row": 2},
            {"cislo": "1", "uroven": "priorita", "nazev": "jedna", "_row": 3},
            {"cislo": "1.2", "uroven": "aktivita", "nazev": "dva", "_row": 4},
            {"cislo": "3.1.1", "uroven": "aktivita", "nazev": "bez rodiče", "_row": 5},
            {"cislo": None, "uroven": "aktivita", "nazev": "bez čísla", "_row": 6},
        ]
    )
    assert [i.name for i in tree.items] == ["jedna", "dva", "deset", "bez rodiče", "bez čísla"]
    assert tree.find("1.10").parent is tree.find("1")
    assert tree.find("3.1.1").priority is None


@pytest.mark.parametrize(
    ("status", "pokracuje", "expected"),
    [
        ("splneno", None, (MARK, "", "")),
        ("splneno", "ano", (MARK, "", MARK)),  # seed 004: fulfilled and continues
        ("castecne", None, ("částečně", "", MARK)),
        ("nesplneno", None, ("", MARK, MARK)),
        ("nesplneno", "ne", ("", MARK, "")),  # the person's explicit answer wins
        ("zruseno", "ano", ("", "zrušeno", "")),  # cancelled never continues
        (None, None, ("", "", MARK)),  # not evaluated yet: still open
    ],
)
def test_marks(status, pokracuje, expected):
    tree = build_tree(
        [
            {"cislo": "1", "uroven": "priorita", "nazev": "P"},
            {"cislo": "1.1", "uroven": "aktivita", "nazev": "A", "stav": status, "pokracuje": pokracuje},
        ]
    )
    item = tree.find("1.1")
    m = marks(item)
    assert (m.done, m.not_done, m.next_year) == expected
    assert continues(item) == (expected[2] == MARK)
    assert marks(tree.find("1")) == type(m)()  # headings carry no marks


def test_fulfilment_percentage_per_plan_and_priority(plan):
    s = plan.stats()
    # 7 activities: 2 splněno, 1 částečně, 2 nesplněno, 1 zrušeno, 1 without status
    assert (s.activities, s.done, s.partial, s.not_done, s.cancelled, s.no_status) == (7, 2, 1, 2, 1, 1)
    assert s.pct_done == round(100 * 2 / 6, 1)
    assert s.continuing == 4  # 1.1.1 (ano), 1.2.1, 1.2.2, 2.1.2
    by = {p.number: st for p, st in stats_by_priority(plan.tree)}
    assert by["1"].pct_done == 50.0
    assert by["2"].pct_done == 0.0
    assert s.planned == 2_774_600 and s.spent == 2_650_000


def test_period_and_title(plan):
    assert period_years("2025/2026") == (2025, 2026)
    assert period_years("2025-27") == (2025, 2027)
    assert period_years("2026") == (2026,)
    assert plan.title() == f"Vyhodnocení: {PLAN_IDENT['nazev_planu']} na roky 2025/2026"


# --- the workbook -------------------------------------------------------------------------------------


def _cells(ws) -> dict[str, object]:
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def _find(ws, text) -> openpyxl.cell.Cell:
    for row in ws.iter_rows():
        for c in row:
            if c.value == text:
                return c
    raise AssertionError(f"{text!r} not on sheet {ws.title}")


@pytest.fixture(scope="module")
def workbook(plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "plneni.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_fulfilment([plan], out, year=2026)
    return out


def test_workbook_layout_follows_seed_004(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["Statutární město Chomutov"]
    ws = wb.active
    values = list(_cells(ws).values())
    assert any(str(v).startswith("Vyhodnocení") and "na roky 2025/2026" in str(v) for v in values)
    head = _find(ws, "Plán splněn")
    header = [ws.cell(head.row, c).value for c in range(1, 13)]
    assert header[:5] == ["Číslo", "Název", "Plán splněn", "Plán nesplněn", "Plán pro rok 2027"]
    assert "Rozpočet plánovaný (Kč)" in header and "Čerpáno (Kč)" in header and "Komentář" in header
    assert "Cílová hodnota" in header and "Dosažená hodnota" in header and "Indikátor" in header
    # headings with their goal sentences, in order
    prio = _find(ws, "Priorita č. 1: " + PLAN_ROWS[0]["nazev"])
    measure = _find(ws, "Přímá podpora poskytovatelů sociálních služeb")
    goal = _find(ws, PLAN_ROWS[1]["popis"])
    assert prio.row < measure.row < goal.row
    assert prio.font.b and measure.font.b and goal.font.i

    def row_of(number):
        cell = next(c for c in ws["A"] if c.value == number)
        return {header[c - 1]: ws.cell(cell.row, c).value for c in range(1, 13)}

    r = row_of("1.1.1")
    assert (r["Plán splněn"], r["Plán nesplněn"], r["Plán pro rok 2027"]) == (MARK, None, MARK)
    assert r["Rozpočet plánovaný (Kč)"] == 2_774_600 and r["Čerpáno (Kč)"] == 2_650_000
    assert (r["Cílová hodnota"], r["Dosažená hodnota"], r["Realizátor"]) == (12, 11, "Odbor sociálních věcí")
    assert row_of("1.1.2")["Dosažená hodnota"] == 5.5
    assert row_of("1.1.2")["Komentář"] == "Navýšeno rozpočtovým opatřením."
    assert (row_of("1.2.1")["Plán nesplněn"], row_of("1.2.1")["Plán pro rok 2027"]) == (MARK, MARK)
    assert row_of("1.2.2")["Plán splněn"] == "částečně"
    assert row_of("2.1.1")["Plán nesplněn"] == "zrušeno" and row_of("2.1.1")["Plán pro rok 2027"] is None
    # natural order: 2.1.10 after 2.1.2
    numbers = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value[:1].isdigit() and "." in c.value]
    assert numbers.index("2.1.2") < numbers.index("2.1.10")
    # money format survives a Czech LibreOffice (space inside the quotes)
    money = ws.cell(next(c for c in ws["A"] if c.value == "1.1.1").row, header.index("Rozpočet plánovaný (Kč)") + 1)
    assert money.number_format == '#,##0" Kč"'
    # projects table and the footer
    assert _find(ws, "Naplánované projekty KP sociálních služeb na roky 2025/2026")
    assert _find(ws, PROJECTS[0]["projekt"]) and _find(ws, "probíhá")
    assert _find(ws, "Chomutov 3. 9. 2026")
    assert _find(ws, "Zpracoval(a): Kateřina Pecháčková")
    assert _find(ws, "Schválil(a): Mgr. Alena Tölgová, manažerka projektu")


def test_submitted_text_stays_text(workbook):
    wb = openpyxl.load_workbook(workbook)
    cell = _find(wb.active, INJECTION)
    assert cell.data_type == "s"  # not a formula


def test_print_setup(workbook):
    ws = openpyxl.load_workbook(workbook).active
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
    head = _find(ws, "Plán splněn")
    assert ws.print_title_rows.replace("$", "") == f"{head.row}:{head.row}"
    assert ws.freeze_panes == f"A{head.row + 1}"


def test_same_inputs_same_bytes(plan, tmp_path):
    a = write_fulfilment([plan], tmp_path / "a.xlsx", year=2026)
    b = write_fulfilment([plan], tmp_path / "b.xlsx", year=2026)
    assert a.read_bytes() == b.read_bytes()


def test_several_plans_get_a_summary(plan_file, jirkov_file, tmp_path):
    plans = load_plans([plan_file, jirkov_file], year=2026)
    out = write_fulfilment(plans, tmp_path / "plneni.xlsx", year=2026)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SUMMARY_SHEET, "Statutární město Chomutov", "Město Jirkov"]
    ws = wb[SUMMARY_SHEET]
    head = _find(ws, "Splněno (%)")
    headers = [ws.cell(head.row, c).value for c in range(1, ws.max_column + 1)]
    rows = [
        {h: ws.cell(r, c).value for c, h in enumerate(headers, start=1)}
        for r in range(head.row + 1, ws.max_row + 1)
        if ws.cell(r, 2).value
    ]
    by_plan = {r["Plán / priorita"].strip(): r for r in rows}
    assert by_plan["Priorita č. 1: Senioři"]["Splněno (%)"] == 100.0
    assert by_plan["Priorita č. 2: Rodiny s dětmi"]["Splněno (%)"] == 0.0
    jirkov = next(r for r in rows if r["Předkladatel"] == "Město Jirkov")
    assert jirkov["Splněno (%)"] == round(100 * 2 / 3, 1) and jirkov["Aktivit"] == 3
    chomutov = next(r for r in rows if r["Předkladatel"] == "Statutární město Chomutov")
    assert chomutov["Splněno (%)"] == round(100 * 2 / 6, 1)
    assert ws.cell(rows and head.row + 1, 1).hyperlink.location == "'Statutární město Chomutov'!A1"


def test_sheet_names_are_valid_and_unique():
    used: set[str] = {SUMMARY_SHEET.casefold()}
    names = [
        sheet_name(n, used)
        for n in [
            "Souhrn",
            "Obec: Horní/Dolní [test]*?",
            "Sdružení obcí mikroregionu Podkrušnohoří a okolí",
            "Sdružení obcí mikroregionu Podkrušnohoří a okolí",
            "'",
        ]
    ]
    assert names[0] == "Souhrn (2)"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[3].endswith("(2)") and names[4] == "Plán"


def test_refuses_to_overwrite_an_input(plan, plan_file):
    from xlkpss.fsutil import OutputError

    before = plan_file.read_bytes()
    with pytest.raises(OutputError):
        write_fulfilment([plan], plan_file)
    assert plan_file.read_bytes() == before


# --- HTML ----------------------------------------------------------------------------------------------


def test_html_has_the_same_content_and_escapes(plan_file, tmp_path):
    bad = make_plan(
        tmp_path / "zly.xlsx",
        rows=[
            {"cislo": "1", "uroven": "priorita", "nazev": "<script>alert(1)</script>"},
            {"cislo": "1.1", "uroven": "aktivita", "nazev": "aktivita & spol.", "stav": "splněno"},
        ],
        ident={"nazev": "Obec <b>Zlá</b>"},
    )
    plans = load_plans([plan_file, bad])
    html = render_fulfilment_html(plans, year=2026)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Obec &lt;b&gt;Zlá&lt;/b&gt;" in html
    for text in (
        "Plán splněn",
        "Plán nesplněn",
        "Plán pro rok 2027",
        "vyčlenit část rozpočtu na provoz MÚSS Chomutov",
        "Naplánované projekty KP sociálních služeb",
        "Kateřina Pecháčková",
        "Souhrn plnění",
        "2\u00a0774\u00a0600\u00a0Kč",
        "size: A4 landscape",
    ):
        assert text in html, text
    assert 'data-pct="33.3"' in html


# --- CLI ------------------------------------------------------------------------------------------------


def test_cli_writes_workbook_and_html(plan_file, tmp_path):
    out, page = tmp_path / "plneni.xlsx", tmp_path / "plneni.html"
    res = CliRunner().invoke(
        main, ["fulfilment", str(plan_file), "--year", "2026", "-o", str(out), "--html", str(page)]
    )
    assert res.exit_code == 0, res.output
    assert out.is_file() and page.is_file()
    assert "Plán splněn" in page.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def broken_plan(tmp_path_factory) -> Path:
    rows = [dict(r) for r in PLAN_ROWS]
    rows[1]["uroven"] = "priorita"  # 1.1 cannot be a priority: plan-level-depth
    return make_plan(tmp_path_factory.mktemp("broken") / "plan_s_chybou.xlsx", rows)


def test_cli_refuses_errors_and_says_why(broken_plan, tmp_path):
    out = tmp_path / "plneni.xlsx"
    res = CliRunner().invoke(main, ["fulfilment", str(broken_plan), "-o", str(out)])
    assert res.exit_code == 1
    assert "plan_s_chybou.xlsx: obsahuje 1 chybu" in res.output
    assert "Úroveň „priorita“ sem nepatří: položka 1.1 je pod položkou 1 (priorita)" in res.output
    assert "--force" in res.output
    assert not out.exists()
    res = CliRunner().invoke(main, ["fulfilment", str(broken_plan), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert out.is_file()
    values = list(_cells(openpyxl.load_workbook(out).active).values())
    assert any("obsahuje chyby (1)" in str(v) for v in values)


def test_cli_year_mismatch_is_refused(plan_file, tmp_path):
    res = CliRunner().invoke(main, ["fulfilment", str(plan_file), "--year", "2025", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "nesouhlasí" in res.output


def test_cli_refuses_a_services_file_even_with_force(tmp_path):
    from support import GOOD_SERVICE

    services = make_submission(tmp_path / "sluzby.xlsx", "sluzby", [GOOD_SERVICE])
    res = CliRunner().invoke(main, ["fulfilment", str(services), "-o", str(tmp_path / "x.xlsx"), "--force"])
    assert res.exit_code == 1
    assert "ne vyhodnocení plánu" in res.output and "--force" not in res.output


def test_library_refusal_lists_first_errors(broken_plan):
    with pytest.raises(PlanRefused) as exc:
        load_plans([broken_plan])
    assert exc.value.forceable
    (f,) = exc.value.files
    assert f.path == broken_plan and len(f.errors) == 1


def test_cli_needs_an_output(plan_file):
    res = CliRunner().invoke(main, ["fulfilment", str(plan_file)])
    assert res.exit_code == 2


def test_cli_help():
    res = CliRunner().invoke(main, ["fulfilment", "--help"])
    assert res.exit_code == 0 and "--force" in res.output and "--html" in res.output


# --- samples and LibreOffice -------------------------------------------------------------------------------


def test_chomutov_sample(tmp_path):
    sample = SAMPLES / "orp_4203_chomutov" / "plan_chomutov_2026.xlsx"
    if not sample.is_file():
        pytest.skip("samples/ not generated yet (scripts/make_samples.py)")
    plans = load_plans([sample])
    out = write_fulfilment(plans, tmp_path / "plneni.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert _find(ws, "Plán splněn")
    assert plans[0].stats().activities > 10


@pytest.mark.libreoffice
def test_libreoffice_prints_the_fulfilment_sheet(plan_file, jirkov_file, tmp_path):
    lo.require(pdftotext=True)
    plans = load_plans([plan_file, jirkov_file])
    out = write_fulfilment(plans, tmp_path / "plneni.xlsx", year=2026)
    (pdf,) = lo.convert([out], "pdf", tmp_path / "pdf")
    text = lo.pdf_text(pdf)
    for expected in (
        "Plán splněn",
        "Plán nesplněn",
        "Plán pro rok 2027",
        "vyčlenit část rozpočtu na provoz MÚSS Chomutov",
        "rozšířit pečovatelskou službu",
        "Priorita č. 2: Aktivní zapojení veřejnosti",
        "Plnění plánů – souhrn",
        "Zpracoval(a): Kateřina Pecháčková",
        MARK,
        INJECTION[:10],
    ):
        assert expected in text, expected
