"""Czech alphabetical order (``xlkpss.collate.czech_key``) and where people see it:
dropdowns of obce in templates, Odevzdání of the consolidated workbook, the catalogue
indexes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xlkpss.codelists import codelist, municipalities, territory
from xlkpss.collate import czech_key, czech_sorted

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Hradec Králové", "Chomutov"),  # ch is one letter after h
        ("Hrušovany", "Chomutov"),
        ("Chomutov", "Ivančice"),  # … and before i
        ("Chýnov", "Ivančice"),
        ("Cvikov", "Čachovice"),  # č after all of c
        ("Cvikov", "Chomutov"),  # c-v before c-h? no: ch is not c, so Cvikov < Čachovice < … < Chomutov
        ("Czernin", "Čáslav"),
        ("Čáslav", "Děčín"),
        ("Rumburk", "Řevnice"),  # ř after r
        ("Rýmařov", "Řevnice"),
        ("Řevnice", "Sadská"),
        ("Sušice", "Šluknov"),  # š after s
        ("Svitavy", "Šluknov"),
        ("Šumperk", "Tábor"),
        ("Zlín", "Žatec"),  # ž after z
        ("Zvole", "Žatec"),
        ("Most", "Mostek"),  # a shorter prefix first
        ("Nové Město", "Nověves"),  # space before letters
        ("Dobra", "Dobrá"),  # accent only breaks a tie
        ("Dobrá", "Dobrava"),  # … and never beats a letter
        ("Ústí nad Labem", "Uvalno"),  # ú is u
        ("Uhlířské Janovice", "Ústí nad Labem"),
        ("sál", "Sál"),  # lower case first on a tie
        ("Sál", "sala"),  # case never beats a letter
        ("Praha 1", "Praha 2"),
        ("Praha 9", "Praha-západ"),  # digits before letters
        ("Hora Svatého Šebestiána", "Hrušovany"),
    ],
)
def test_pairs(before: str, after: str) -> None:
    assert czech_key(before) < czech_key(after)
    assert czech_sorted([after, before]) == [before, after]


def test_ch_in_any_case_and_not_across_accents() -> None:
    words = ["hýl", "CHata", "Chata", "chata", "ihned", "cválat"]
    assert czech_sorted(words) == ["cválat", "hýl", "chata", "Chata", "CHata", "ihned"]
    # "c" + "h" with an accent on the h is not the letter ch
    assert czech_key("cȟ") < czech_key("ča")


def test_ties_are_total_and_stable() -> None:
    words = ["Dobrá", "dobrá", "Dobra", "DOBRA", "dobra", "Dobrá "]
    once = czech_sorted(words)
    assert czech_sorted(reversed(words)) == once
    assert once[:3] == ["dobra", "Dobra", "DOBRA"]
    # white space is normalised for ordering; None sorts first
    assert czech_key("Nové  Město")[:4] == czech_key("Nové\u00a0Město ")[:4]
    assert czech_sorted(["a", None]) == [None, "a"]


def test_whole_country_in_czech_order() -> None:
    """The 6,258 obce: every Č name after every C name and before every D name, etc."""
    names = czech_sorted({m.name for m in municipalities().values()})
    first = {}
    for i, n in enumerate(names):
        letter = "ch" if n[:2].lower() == "ch" else n[0].lower()
        first.setdefault(letter, i)
        assert i >= first[letter]
    for a, b, c in [("c", "č", "d"), ("r", "ř", "s"), ("s", "š", "t"), ("z", "ž", None), ("h", "ch", "i")]:
        last_a = max(i for i, n in enumerate(names) if n.lower().startswith(a) and not n.lower().startswith("ch"))
        assert last_a < first[b]
        if c:
            assert max(i for i, n in enumerate(names) if n.lower().startswith(b)) < first[c]


def test_against_icu_when_available() -> None:
    """Cross-check with ICU's Czech collator (PyICU is not a dependency; skipped without it)."""
    icu = pytest.importorskip("icu")
    collator = icu.Collator.createInstance(icu.Locale("cs_CZ"))
    names = sorted({m.name for m in municipalities().values()})
    assert czech_sorted(names) == sorted(names, key=collator.getSortKey)


def test_obce_dropdown_in_template(tmp_path: Path) -> None:
    from xlkpss.template import build_template

    path = build_template("sluzby", tmp_path / "t.xlsx", year=2026, scope=territory(orp="4203"))
    ws = openpyxl.load_workbook(path)["Číselníky"]
    column = None
    for col in ws.iter_cols(values_only=True):
        if "Chomutov" in col and "Hrušovany" in col:
            column = [v for v in col if v]
            break
    assert column is not None
    names = [i.display for i in codelist("obce", territory(orp="4203"))]
    listed = [v for v in column if v in names]
    assert listed == names
    assert listed.index("Hrušovany") < listed.index("Chomutov") < listed.index("Jirkov")
    assert listed.index("Březno") < listed.index("Černovice") < listed.index("Droužkovice")


@pytest.fixture(scope="module")
def merged():
    from xlkpss.merge.consolidate import merge_paths

    return merge_paths([ROOT / "samples" / "orp_4203_chomutov"], generated="2026-09-30")


def test_odevzdani_in_czech_order(merged) -> None:
    table = merged.table("submissions")
    names = [n for n in table["territory_name"].tolist() if isinstance(n, str)]
    expected = [n for n in dict.fromkeys(names)]
    assert "Chomutov" in expected and "Hrušovany" in expected
    assert expected.index("Hrušovany") < expected.index("Chomutov") < expected.index("Jirkov")
    assert expected.index("Březno") < expected.index("Černovice")


def test_catalogue_indexes_in_czech_order(merged) -> None:
    from xlkpss.render.catalogue import build_catalogue

    cat = build_catalogue(merged)
    places = [i.name for i in cat.municipalities]
    assert places == czech_sorted(places)
    providers = [i.name for i in cat.providers]
    assert providers == czech_sorted(providers)


def test_character_table_gives_the_same_units_as_the_whole_text() -> None:
    """The fast key (a table of characters) equals the key from normalising the whole
    text, for every municipality name and for random texts full of the hard cases: ch in
    every case, č/ř/š/ž, lone combining marks, ligatures, digits and punctuation."""
    import random

    from xlkpss import collate
    from xlkpss.codelists import municipalities

    alphabet = "aábcčdďeéěfghiíjklmnňoópqrřsštťuúůvwxyýzžAÁBCČDĎEÉĚFGHIÍJKLMNŇOÓPQRŘSŠTŤUÚŮVWXYÝZŽ 09-.,()/äöüßﬁǅ\u030c\u0301\u00a0"
    rnd = random.Random(7)
    texts = [m.name for m in municipalities().values()]
    texts += ["".join(rnd.choice(alphabet + "chCH" * 5) for _ in range(rnd.randint(0, 10))) for _ in range(30000)]
    texts += ["ch", "Ch", "cH", "CH", "cch", "chch", "c\u030ch", "C\u030cH", "\u030cab", "chh", "hch", "cHh", "ﬁch"]
    wrong = [t for t in texts if collate._units_fast(t) != collate._units(t)]
    assert wrong == []
    # and the fast path was taken for names (a lone combining mark falls back)
    assert collate._CHAR_UNITS.get("č") is not None and collate._CHAR_UNITS.get("\u030c", 0) is None
