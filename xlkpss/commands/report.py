"""``xlkpss report``: the HTML summary of a consolidated workbook (regenerated without the submissions)."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, open_consolidated


@click.command(name="report")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    help="Kam uložit stránku (.html); výchozí: vedle sešitu se stejným jménem a příponou .html.",
)
@click.option("--lang", type=click.Choice(["cs"]), default="cs", show_default=True, help="Jazyk stránky.")
def command(workbook: Path, output: Path | None, lang: str) -> None:
    """Vytvoří HTML souhrn ze souhrnného sešitu (výstup příkazu merge).

    Jedna samostatná stránka (grafy a styly jsou uvnitř souboru, nic se nestahuje):
    úplnost podkladů, hlavní údaje, kapacity, pokrytí území, chybějící služby,
    cílové skupiny, financování, plnění plánu, konflikty a meziroční změny.
    Lze ji poslat e-mailem, otevřít bez internetu i vytisknout na A4.

    \b
    Příklad:
      xlkpss report orp_chomutov.xlsx -o souhrn.html
    """
    from xlkpss.render.summary import render_summary

    output = output or workbook.with_suffix(".html")
    if output.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter("stránka se ukládá jako .html", param_hint="-o")
    consolidated = open_consolidated(workbook)
    path = render_summary(consolidated, output, lang=lang)
    click.echo(f"Souhrn uložen: {path}")
