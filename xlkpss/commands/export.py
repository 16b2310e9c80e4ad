"""``xlkpss export``: a consolidated workbook or the history store as Parquet files."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, open_consolidated


@click.command(name="export")
@click.argument("workbook", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Místo sešitu vyvézt celou databázi historie (soubor DuckDB).")
@click.option("--parquet", "folder", required=True, type=OutputPath(folder=True),
              help="Složka pro soubory Parquet (jedna složka na tabulku, rozdělená po letech).")
def command(workbook: Path | None, db: Path | None, folder: Path) -> None:
    """Vyveze souhrnný sešit (nebo databázi historie, --db) jako otevřená data Parquet.

    Jedna tabulka = jedna složka (services, capacities, funding, plan_summary,
    activities, projects, submissions, workbooks), v ní podsložka za každý rok
    (year=2026). Sloupce a jejich české popisy jsou v souboru sloupce.csv.

    \b
    Příklad:
      xlkpss export souhrn_orp_4203.xlsx --parquet parquet/
      xlkpss export --db kpss.duckdb --parquet parquet/
    """
    from xlkpss.export.parquet import export_parquet, export_workbook_parquet
    from xlkpss.history import HistoryError

    if (workbook is None) == (db is None):
        raise click.UsageError("zadejte buď souhrnný sešit, nebo --db (databázi historie)")
    try:
        if db is not None:
            result = export_parquet(db, folder)
        else:
            result = export_workbook_parquet(open_consolidated(workbook), folder)
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    services = sum(result.rows.get("services", {}).values())
    click.echo(f"Parquet uložen: {result.folder} (tabulek: {len(result.rows)}, souborů: {result.files}, služeb: {services})")
