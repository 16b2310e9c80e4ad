"""``xlkpss fulfilment``: the yearly fulfilment sheet(s) of plan evaluations."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, output_problem

FORCE_HINT = "Opravte chyby (podrobně: xlkpss validate SOUBOR), nebo použijte --force a soubor zpracujte i přesto."


def refusal(exc) -> click.ClickException:
    """A library refusal as a CLI error, with the --force hint when it would help."""
    text = exc.message()
    if exc.forceable:
        text += "\n" + FORCE_HINT
    head = "soubor nelze zpracovat" if len(exc.files) == 1 else f"soubory nelze zpracovat ({len(exc.files)})"
    return click.ClickException(f"{head}:\n{text}")


def warn_forced(plans) -> None:
    for p in plans:
        if p.errors:
            click.echo(f"Pozor: {p.path.name} obsahuje chyby ({len(p.errors)}); zpracováno kvůli --force.", err=True)


@click.command("fulfilment")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    help="Hodnocený rok (výchozí: Rok z listu Identifikace). Soubor za jiný rok je chyba.",
)
@click.option(
    "-o", "--output", type=OutputPath(), help="Kam uložit sešit .xlsx s vyhodnocením."
)
@click.option(
    "--html",
    "html_path",
    type=OutputPath(),
    help="Uložit totéž jako stránku HTML k tisku.",
)
@click.option("--force", is_flag=True, help="Zpracovat i soubory s chybami (jinak se odmítnou s výpisem chyb).")
def command(
    paths: tuple[Path, ...], year: int | None, output: Path | None, html_path: Path | None, force: bool
) -> None:
    """Vyhodnocení plnění plánu: Plán splněn / Plán nesplněn / Plán pro příští rok.

    Pro každý vyplněný soubor vyhodnocení plánu (SOUBORY: soubory nebo složky) vytvoří
    list k tisku (A4 na šířku): strom plánu s prioritami a opatřeními, u každé
    aktivity značky plnění, rozpočet, indikátor a komentář, tabulku projektů a
    zápatí s místem, datem a podpisy. Více plánů = list pro každý plán a list Souhrn
    s procentem plnění podle plánů a priorit.

    \b
    Příklad:
      xlkpss fulfilment plan_chomutov_2026.xlsx --year 2026 -o plneni_2026.xlsx --html plneni_2026.html
    """
    from xlkpss.fsutil import OutputError
    from xlkpss.plan import PlanRefused, load_plans
    from xlkpss.render.fulfilment import write_fulfilment, write_fulfilment_html
    from xlkpss.validate.engine import collect_paths

    if output is None and html_path is None:
        raise click.UsageError("zadejte -o VÝSTUP.xlsx, --html VÝSTUP.html, nebo obojí")
    if output is not None and output.suffix.lower() != ".xlsx":
        raise click.BadParameter("sešit se ukládá jako .xlsx", param_hint="-o")
    files = collect_paths(paths)
    if not files:
        raise click.UsageError("v zadaných složkách není žádný soubor .xlsx, .xlsm, .xls ani .ods")
    try:
        plans = load_plans(files, year=year, force=force)
    except PlanRefused as exc:
        raise refusal(exc) from None
    warn_forced(plans)
    try:
        if output is not None:
            write_fulfilment(plans, output, year=year, protect=files)
            click.echo(f"Vyhodnocení uloženo: {output}")
        if html_path is not None:
            write_fulfilment_html(plans, html_path, year=year, protect=files)
            click.echo(f"Stránka k tisku uložena: {html_path}")
    except OutputError as exc:
        raise output_problem(exc) from None
