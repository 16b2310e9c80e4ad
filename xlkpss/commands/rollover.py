"""``xlkpss rollover``: next year's plan from this year's evaluation."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, output_problem


@click.command("rollover")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to-year", type=click.IntRange(2000, 2100), help="Rok nového plánu (výchozí: rok vyhodnocení + 1).")
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    required=True,
    help="Kam uložit nový plán (.xlsx).",
)
@click.option(
    "--date",
    "filled",
    type=click.DateTime(formats=["%d.%m.%Y", "%Y-%m-%d"]),
    help="Datum vyplnění nového plánu (d.m.rrrr; výchozí dnes).",
)
@click.option("--force", is_flag=True, help="Převést i soubor s chybami (jinak se odmítne s výpisem chyb).")
def command(path: Path, to_year: int | None, output: Path, filled, force: bool) -> None:
    """Plán na příští rok z vyhodnocení plánu (SOUBOR).

    Vytvoří šablonu vyhodnocení plánu (stejná verze) na rok --to-year, předvyplněnou
    identifikací a všemi aktivitami, které pokračují nebo nebyly splněny: číslo,
    název, realizátor, indikátor a cílová hodnota zůstávají, stav a dosažená hodnota
    jsou prázdné, sloupce Převzato z roku a Počet převzetí říkají, odkud a kolikrát
    byla položka převzata. Splněné a zrušené aktivity vypadnou; priority a opatření
    zůstanou, dokud pod nimi něco zbývá. Nedokončené projekty se převezmou.

    \b
    Příklad:
      xlkpss rollover plan_chomutov_2026.xlsx --to-year 2027 -o plan_chomutov_2027.xlsx
    """
    from xlkpss.commands.fulfilment import refusal, warn_forced
    from xlkpss.fsutil import OutputError
    from xlkpss.plan import PlanRefused, load_plans
    from xlkpss.plan.rollover import RolloverError, write_rollover

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("plán se ukládá jako .xlsx", param_hint="-o")
    if output.resolve() == path.resolve():
        raise click.ClickException(f"výstup {output} by přepsal vstupní soubor; zvolte jiný název")
    try:
        (plan,) = load_plans([path], force=force)
    except PlanRefused as exc:
        raise refusal(exc) from None
    warn_forced([plan])
    try:
        res = write_rollover(plan, output, to_year=to_year, today=filled.date() if filled else None)
    except RolloverError as exc:
        raise click.BadParameter(str(exc), param_hint="--to-year") from None
    except OutputError as exc:
        raise output_problem(exc) from None
    click.echo(
        f"Plán na rok {res.to_year} uložen: {res.path}\n"
        f"  převzaté aktivity: {res.carried}, vypuštěné (splněné, zrušené, nepokračující): {res.dropped}, "
        f"nadřazené položky: {res.headings}, projekty: {res.projects}"
    )
