"""``xlkpss history``: consolidated workbooks of many years in one DuckDB store, and the trends page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlkpss.commands._common import OutputPath

DB_OPTION = click.option(
    "--db", "db", type=OutputPath(), default="kpss.duckdb", show_default=True,
    help="Databáze historie (soubor DuckDB; vytvoří se, když neexistuje).",
)


@click.group(name="history")
def command() -> None:
    """Historie souhrnů za více let: ukládání do databáze a stránka s vývojem.

    \b
    Příklad:
      xlkpss history add souhrn_orp_*.xlsx --db kpss.duckdb
      xlkpss history report --db kpss.duckdb --orp -o trendy.html
    """


@command.command(name="add")
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
def add(workbooks: tuple[Path, ...], db: Path) -> None:
    """Uloží souhrnné sešity (výstup příkazu merge, jakékoli úrovně a roku) do databáze.

    Stejný sešit podruhé nic nezmění; novější souhrn stejného území a roku nahradí
    starší (vypíše se, který). Návratový kód 1, když některý soubor nešel uložit.
    """
    from xlkpss.history import HistoryError, add_paths

    missing = [str(p) for p in workbooks if not p.is_file()]
    if missing:
        raise click.UsageError(f"soubor neexistuje: {', '.join(missing)}")
    if db.resolve() in {p.resolve() for p in workbooks}:
        raise click.UsageError("databáze historie nesmí být jeden ze vstupních sešitů (--db)")
    try:
        results = add_paths(db, workbooks)
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    for r in results:
        click.echo(r.message, err=r.status == "error")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("added", "replaced", "unchanged", "older", "error")}
    click.echo(
        f"Historie {db}: načteno {counts['added']}, nahrazeno {counts['replaced']}, beze změny {counts['unchanged']}, "
        f"starších nenačteno {counts['older']}, chyb {counts['error']}"
    )
    sys.exit(1 if counts["error"] else 0)


@command.command(name="report")
@DB_OPTION
@click.option("--orp", "by", flag_value="orp", default=True, help="Vývoj po ORP (výchozí).")
@click.option("--kraj", "by", flag_value="kraj", help="Vývoj po krajích.")
@click.option("--territory", metavar="KÓD|NÁZEV", help="Jen toto ORP nebo kraj (kód nebo název).")
@click.option("-o", "--output", type=OutputPath(), default="trendy.html",
              show_default=True, help="Kam uložit stránku (.html).")
@click.option("--generated", metavar="RRRR-MM-DD", hidden=True, help="Datum vytvoření na stránce (pro stejné výstupy).")
def report(db: Path, by: str, territory: str | None, output: Path, generated: str | None) -> None:
    """Vytvoří stránku s vývojem podle let: kapacita podle druhu a formy, náklady na
    jednotku kapacity, struktura financování, plnění plánu, úplnost podkladů a cílové
    skupiny, po ORP (--orp) nebo krajích (--kraj). Grafy mají čísla i v tabulce.
    """
    from xlkpss.fsutil import OutputError
    from xlkpss.history import HistoryError
    from xlkpss.history.report import build_trends, render_trends

    if output.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter("stránka se ukládá jako .html", param_hint="-o")
    try:
        trends = build_trends(db, by=by, territory=territory, generated=generated)
        path = render_trends(trends, output, protect={db})
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    except OutputError as exc:
        if exc.reason != "input":
            raise  # full disk, read-only folder …: the Czech sentence of the top-level group
        raise click.UsageError("stránka nesmí přepsat databázi historie (-o)") from None
    click.echo(f"Vývoj uložen: {path} (roky {', '.join(map(str, trends.years))}; území: {len(trends.units)})")
