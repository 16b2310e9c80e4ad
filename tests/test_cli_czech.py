"""The command line speaks Czech from top to bottom: help, usage, click's own errors;
--quiet prints the errors and nothing else; the CSV report opens in a Czech Excel."""

from __future__ import annotations

import csv
import io
import re

import click
import pytest
from click.testing import CliRunner
from support import GOOD_SERVICE, make_submission

from xlkpss.cli import main

#: words of click's English texts and placeholders (whole words, case-sensitive)
ENGLISH = re.compile(
    r"\b(Usage|Options|Commands|Arguments|Show|message|exit|Error|Missing|option|Invalid|value|Try|help|"
    r"default|required|INTEGER|FLOAT|RANGE|FILE|DIRECTORY|PATH|PATHS|COMMAND|ARGS|OPTIONS|KIND|WORKBOOK|SOURCE|OUT_DIR|"
    r"version|such|unexpected|valid|mean|exist|does|not|one|of|is|integer|float|range|directory|file|path)\b"
)


def _commands(cmd: click.Command, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _commands(cmd.commands[name], [*path, name])


COMMANDS = [path for path, _ in _commands(main, [])]


def _english(text: str) -> list[str]:
    # option names (--help, --output) and choices ({sluzby|plan}, [text|json|csv]) are not prose
    text = re.sub(r"--?[a-z][a-z-]*", " ", text)
    text = re.sub(r"[\[{][a-z0-9|.-]+[\]}]", " ", text)
    text = text.replace("cs = čeština, en = English", "")
    return ENGLISH.findall(text)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "xlkpss")
def test_help_of_every_command_is_czech(path):
    res = CliRunner().invoke(main, [*path, "--help"], prog_name="xlkpss")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Použití: xlkpss")
    assert "Vypíše tuto nápovědu a skončí." in res.output
    assert _english(res.output) == [], res.output


USAGE_ERRORS = [
    ["validate"],  # missing argument
    ["validate", "--bar", "x"],  # no such option
    ["validate", "--year", "abc", "x"],  # not a number
    ["validate", "--year", "1800", "x"],  # out of range
    ["validate", "--format", "pdf", "x"],  # not a choice
    ["validate", "--format"],  # option needs a value
    ["validate", "neni_tu.xlsx"],  # file does not exist (our own message)
    ["template", "foo"],
    ["template", "sluzby", "--obec"],
    ["merge", "x"],  # missing option -o
    ["merge", "neni_tu", "-o", "out.xlsx"],  # path does not exist
    ["report", "neni_tu.xlsx", "-o", "x.html"],
    ["rollover", "a.xlsx", "b.xlsx"],
    ["demo", "a", "b"],  # extra argument
    ["registry"],
    ["registry", "importt"],  # no such command, did you mean
    ["nic"],
    ["--verze"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_errors_are_czech(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, args, prog_name="xlkpss")
    assert res.exit_code == 2, res.output
    assert "Chyba: " in res.output or res.output.startswith("Použití: xlkpss"), res.output
    assert _english(res.output) == [], res.output


def test_english_with_lang_en(tmp_path):
    res = CliRunner().invoke(main, ["validate", "--lang", "en", "--year", "abc", "x"])
    assert "Error: Invalid value for '--year': 'abc' is not a valid integer range." in res.output
    # the next run is Czech again
    res = CliRunner().invoke(main, ["validate", "--year", "abc", "x"])
    assert "Chyba: Neplatná hodnota '--year': 'abc' není celé číslo." in res.output


def _bad_file(tmp_path):
    rows = [{**GOOD_SERVICE, "kapacita": "cca 20"}, {**GOOD_SERVICE, "identifikator": "7654321", "naklady": 1000}]
    return make_submission(tmp_path / "spatny.xlsx", rows=rows)


def test_quiet_prints_the_errors_and_nothing_else(tmp_path):
    bad = _bad_file(tmp_path)
    res = CliRunner().invoke(main, ["validate", str(bad), "--quiet"])
    assert res.exit_code == 1
    assert "cca 20" in res.output  # the error
    assert "upozornění" not in res.output and "převyšuje" not in res.output  # no warning, no totals
    assert "souborů" not in res.output
    good = make_submission(tmp_path / "dobry.xlsx", rows=[GOOD_SERVICE])
    res = CliRunner().invoke(main, ["validate", str(good), "--quiet"])
    assert res.exit_code == 0 and res.output == ""


def test_csv_opens_in_a_czech_excel(tmp_path):
    bad = _bad_file(tmp_path)
    res = CliRunner().invoke(main, ["validate", str(bad), "--format", "csv"])
    assert res.exit_code == 1
    data = res.stdout_bytes
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM: Excel detects the encoding
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["file", "sheet", "cell"]
    code, message = rows[0].index("code"), rows[0].index("message")
    assert {r[code] for r in rows[1:]} == {"not-an-integer", "funding-exceeds-costs"}
    assert any("převyšuje" in r[message] for r in rows[1:])  # Czech text intact
    plain = CliRunner().invoke(main, ["validate", str(bad), "--format", "csv", "--csv-plain"])
    assert not plain.stdout_bytes.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(plain.output)))
    assert rows[0][:3] == ["file", "sheet", "cell"] and len(rows) == 3
