"""*Na území nepůsobí žádná služba* (``bez_sluzeb`` on Identifikace) and unregistered
related services without a § type (spec ``[related_services]``)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from support import GOOD_SERVICE, make_submission

from xlkpss.codelists import codelist, territory
from xlkpss.spec import get_template, load_spec
from xlkpss.validate.engine import validate_paths

ROOT = Path(__file__).resolve().parent.parent
LABEL = "Na území nepůsobí žádná služba"
SMALL_OBEC = {  # Málkov, a small obec of ORP Chomutov
    "kod_obce": "563200",
    "ico": "00262005",
    "nazev": "Obec Málkov",
}


def _one(path: Path):
    [res] = validate_paths([path], workers=1)
    return res


def _codes(res) -> list[str]:
    return sorted(i.code for i in res.issues)


# --- the field in the spec and the template ------------------------------------------------


def test_field_in_spec_and_template(tmp_path):
    t = get_template("sluzby")
    f = t.sheet("identifikace").field("bez_sluzeb")
    assert f.label == LABEL and f.codelist == "ano_ne" and f.declares_empty == "sluzby"
    assert t.version == 3 and f.since == 3
    assert "bez_sluzeb" not in [x.key for x in get_template("plan").sheet("identifikace").fields]
    path = make_submission(tmp_path / "t.xlsx", rows=[GOOD_SERVICE])
    wb = openpyxl.load_workbook(path)
    ws = wb["Identifikace"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == LABEL)
    cell = f"B{row}"
    lists = [dv for dv in ws.data_validations.dataValidation if cell in str(dv.sqref)]
    assert lists and lists[0].type == "list"
    navod = [c for r in wb["Návod"].iter_rows(values_only=True) for c in r if c]
    assert LABEL in navod


# --- validation -----------------------------------------------------------------------------


def test_yes_and_no_rows_is_a_complete_valid_file(tmp_path):
    res = _one(make_submission(tmp_path / "malkov.xlsx", rows=[], ident={**SMALL_OBEC, "bez_sluzeb": "ano"}))
    assert res.issues == [] and res.valid
    assert len(res.frames["sluzby"]) == 0
    assert res.ident["bez_sluzeb"] == "ano"


def test_empty_sheet_without_the_answer_is_still_a_warning(tmp_path):
    res = _one(make_submission(tmp_path / "malkov.xlsx", rows=[], ident=SMALL_OBEC))
    assert _codes(res) == ["no-data"]
    res = _one(make_submission(tmp_path / "malkov_ne.xlsx", rows=[], ident={**SMALL_OBEC, "bez_sluzeb": "ne"}))
    assert _codes(res) == ["no-data"]


def test_yes_with_rows_is_an_error_at_the_field(tmp_path):
    path = make_submission(tmp_path / "rozpor.xlsx", rows=[GOOD_SERVICE], ident={"bez_sluzeb": "ano"})
    res = _one(path)
    assert _codes(res) == ["none-declared-with-rows"]
    (issue,) = res.issues
    assert issue.severity == "error" and issue.sheet == "Identifikace" and issue.column == LABEL
    ws = openpyxl.load_workbook(path)["Identifikace"]
    assert ws[issue.cell].value == "ano" and ws.cell(ws[issue.cell].row, 1).value == LABEL
    text = issue.message("cs")
    assert "list Služby (1 řádek) obsahuje služby" in text and "vyberte „ne“" in text
    assert not res.valid


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("nazev_sluzby", "žádné služby nemáme"),
        ("identifikator", "Žádné služby nemáme."),
        ("nazev_sluzby", "nemáme žádné sociální služby"),
        ("poskytovatel", "ŽÁDNÁ"),
        ("nazev_sluzby", "bez služeb"),
    ],
)
def test_none_typed_into_the_first_row_gives_one_helpful_message(tmp_path, column, text):
    path = make_submission(tmp_path / "nic.xlsx", rows=[{column: text}], ident=SMALL_OBEC)
    res = _one(path)
    assert _codes(res) == ["none-typed-as-row"]
    (issue,) = res.issues
    assert issue.severity == "error" and issue.sheet == "Služby" and issue.value == text
    assert openpyxl.load_workbook(path)["Služby"][issue.cell].value == text
    msg = issue.message("cs")
    assert f"„{LABEL}“ na listu Identifikace" in msg and "ano" in msg and "řádek smažte" in msg


def test_a_real_row_is_not_mistaken_for_none(tmp_path):
    # one filled text cell that is a service name: the ordinary errors, not the hint
    res = _one(make_submission(tmp_path / "jen_nazev.xlsx", rows=[{"nazev_sluzby": "Domov pro seniory"}]))
    assert "none-typed-as-row" not in _codes(res) and "required" in _codes(res)
    # the phrase next to a real service: no swallowing of rows
    rows = [{"nazev_sluzby": "žádné služby nemáme"}, GOOD_SERVICE]
    res = _one(make_submission(tmp_path / "dva.xlsx", rows=rows))
    assert "none-typed-as-row" not in _codes(res)


def test_older_template_versions_are_still_read():
    """Samples made with template version 1 have no bez_sluzeb row: read with the version warning only."""
    [res] = validate_paths([ROOT / "samples" / "starsi_verze" / "obec_563099_jirkov_sluzby_2026_v1.xlsx"], workers=1)
    assert _codes(res) == ["template-version-read"] and res.valid
    assert res.ident.get("bez_sluzeb") is None


# --- unregistered related services ------------------------------------------------------------

RELATED = load_spec().related
CLUB = {
    **GOOD_SERVICE,
    "identifikator": None,
    "registrovana": "ne",
    "nazev_sluzby": "Klub seniorů Jirkov",
    "druh": None,
    "forma": "ambulantní",
    "kapacita": 40,
    "typ_kapacity": "klienti",
    "naklady": 300_000,
    "zdroj_mpsv_kraj": 0,
    "zdroj_obec": 300_000,
    "zdroj_uhrady": 0,
    "zdroj_zp": 0,
    "zdroj_ostatni": 0,
}


def test_related_value_in_code_list_and_dropdown(tmp_path):
    druhy = codelist("druhy_sluzeb")
    item = druhy.get(RELATED["druh"])
    assert item.display == "související služba (není druh podle zákona)" and not item.extra["paragraf"]
    assert druhy.displays()[-1] == item.display  # after the types of the law
    path = make_submission(tmp_path / "t.xlsx", rows=[GOOD_SERVICE])
    lists = [c for r in openpyxl.load_workbook(path)["Číselníky"].iter_rows(values_only=True) for c in r if c]
    assert item.display in lists


@pytest.mark.parametrize("druh", [None, "související služba (není druh podle zákona)", "související služba"])
def test_unregistered_may_leave_type_empty_or_pick_related(tmp_path, druh):
    res = _one(make_submission(tmp_path / "klub.xlsx", rows=[{**CLUB, "druh": druh}]))
    assert res.issues == []
    assert res.frames["sluzby"]["druh"].tolist() == [RELATED["druh"]]


def test_registered_service_needs_a_type_of_the_law(tmp_path):
    reg = {**GOOD_SERVICE, "druh": "související služba (není druh podle zákona)"}
    res = _one(make_submission(tmp_path / "reg.xlsx", rows=[reg]))
    assert _codes(res) == ["related-type-registered"]
    msg = res.issues[0].message("cs")
    assert "Registrovaná služba = ne" in msg and "zákona 108/2006 Sb." in msg
    res = _one(make_submission(tmp_path / "reg_prazdny.xlsx", rows=[{**GOOD_SERVICE, "druh": None}]))
    assert _codes(res) == ["required"]


@pytest.fixture(scope="module")
def merged_related(tmp_path_factory):
    from xlkpss.merge.consolidate import merge_paths

    folder = tmp_path_factory.mktemp("related")
    with_par = {**CLUB, "nazev_sluzby": "Senior Point Jirkov", "druh": "§66 Sociálně aktivizační služby pro seniory a osoby se zdravotním postižením"}
    make_submission(folder / "jirkov.xlsx", rows=[GOOD_SERVICE, CLUB, {**CLUB, "nazev_sluzby": "Klub Spořice", "druh": "související služba"}, with_par])
    return merge_paths([folder], territory=territory(orp="4203"), generated="2026-09-30")


def test_related_services_counted_and_catalogued_without_paragraph(merged_related):
    from xlkpss.render.catalogue import build_catalogue, catalogue_html

    services = merged_related.table("services")
    assert len(services) == 4
    model = build_catalogue(merged_related)
    unregistered = [e for e in model.entries if not e.registrovana]
    assert len(unregistered) == 3 and all(e.paragraf == "" for e in unregistered)
    by_name = {e.nazev: e for e in unregistered}
    assert by_name["Klub seniorů Jirkov"].druh == "související služba (není druh podle zákona)"
    assert by_name["Klub Spořice"].druh == "související služba (není druh podle zákona)"
    html = catalogue_html(model)
    for name in by_name:
        start = html.index(f'<span class="name">{name}</span>')
        entry = html[start : html.index("</article>", start)]
        assert "§" not in entry


def test_related_type_is_no_gap(merged_related):
    gaps = merged_related.table("gaps")
    assert not any("související služba" in str(d) for d in gaps["druh"].tolist())
