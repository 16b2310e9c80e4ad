"""``xlkpss catalogue``: the public catalogue of services (web page, print PDF, open-data CSV)."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, open_consolidated


@click.command(name="catalogue")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=OutputPath(),
    help="Kam uložit katalog (.html); výchozí: vedle sešitu, jméno sešitu + _katalog.html.",
)
@click.option("--pdf", "pdf", type=OutputPath(), help="Také vytisknout do PDF (headless Chromium).")
@click.option("--csv", "csv_path", type=OutputPath(), help="Také uložit otevřená data (.csv, UTF-8).")
@click.option("--hsds", "hsds_dir", type=OutputPath(folder=True),
              help="Také uložit jako balíček Open Referral HSDS 3.0 (složka: CSV + datapackage.json).")
@click.option("--title", help="Nadpis katalogu (výchozí: Katalog sociálních služeb – území).")
@click.option("--territory", metavar="KÓD|NÁZEV", help="Jen služby v této obci, ORP nebo kraji (kód nebo název).")
@click.option("--paper", type=click.Choice(["A4", "A5"]), default="A4", show_default=True, help="Formát tisku (brožura A5 nebo A4).")
def command(workbook: Path, output: Path | None, pdf: Path | None, csv_path: Path | None, title: str | None,
            territory: str | None, paper: str, hsds_dir: Path | None = None) -> None:
    """Vytvoří katalog poskytovatelů ze souhrnného sešitu (výstup příkazu merge).

    Jedna samostatná stránka pro veřejnost: služby po oddílech (senioři; osoby se
    zdravotním postižením; rodiny s dětmi, děti a mládež; osoby ohrožené sociálním
    vyloučením; ostatní), u každé karta s kontakty, rejstřík poskytovatelů a obcí,
    vyhledávání. Lze vytisknout jako brožuru A4/A5 (--pdf) a zveřejnit jako otevřená
    data (--csv, názvy sloupců podle registru poskytovatelů MPSV).

    \b
    Příklad:
      xlkpss catalogue orp_chomutov.xlsx -o katalog.html --pdf katalog.pdf --csv katalog.csv
      xlkpss catalogue orp_chomutov.xlsx --territory Jirkov -o katalog_jirkov.html
    """
    from xlkpss.render.catalogue import (
        CatalogueError,
        build_catalogue,
        print_pdf,
        render_catalogue_html,
        write_catalogue_csv,
    )

    output = output or workbook.with_name(workbook.stem + "_katalog.html")
    if output.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter("katalog se ukládá jako .html", param_hint="-o")
    if pdf is not None and pdf.suffix.lower() != ".pdf":
        raise click.BadParameter("tisk se ukládá jako .pdf", param_hint="--pdf")
    if csv_path is not None and csv_path.suffix.lower() != ".csv":
        raise click.BadParameter("otevřená data se ukládají jako .csv", param_hint="--csv")
    consolidated = open_consolidated(workbook)
    try:
        model = build_catalogue(consolidated, title=title, territory=territory)
        path = render_catalogue_html(model, output, paper=paper)
        click.echo(f"Katalog uložen: {path} (služeb: {len(model.entries)}, poskytovatelů: {len(model.providers)})")
        if csv_path is not None:
            click.echo(f"Otevřená data uložena: {write_catalogue_csv(model, csv_path)}")
        if hsds_dir is not None:
            click.echo(f"Balíček HSDS uložen: {_write_hsds(model, hsds_dir)}")
        if pdf is not None:
            click.echo(f"PDF uloženo: {print_pdf(path, pdf)}")
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from None


def _write_hsds(model, folder: Path) -> Path:
    from xlkpss.export.hsds import HsdsError, write_hsds

    try:
        return write_hsds(model, folder).folder
    except HsdsError as exc:
        raise click.ClickException(str(exc)) from None
