"""``xlkpss chase``: the chasing pack of a consolidated workbook (pre-filled templates and a mail-merge CSV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlkpss.commands._common import IsoDate, OutputPath
from xlkpss.i18n import SUBMITTERS, plural_cs


@click.command("chase")
@click.argument("souhrn", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=OutputPath(folder=True), required=True,
              help="Složka pro soubory k rozeslání a rozeslani.csv.")  # fmt: skip
@click.option(
    "--prefill", "prefill", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Předvyplnit šablony z loňského souhrnného sešitu a/nebo ze sešitu registru (lze zadat dvakrát); "
    "bez něj mají šablony předvyplněnou jen identifikaci.",
)  # fmt: skip
@click.option("--deadline", type=IsoDate(), help="Termín odevzdání do dopisu (výchozí: termín zadaný při merge).")
def command(souhrn: Path, output: Path, prefill, deadline: dt.date | None) -> None:
    """Podklady k urgenci: pro každého předkladatele, jehož soubor chybí, byl odmítnut,
    vrátil se beze změny nebo v něm chybí očekávané služby, předvyplněnou šablonu a jeden
    řádek v rozeslani.csv (kontakt, soubor k přiložení, co chybí nebo je špatně, termín)
    pro hromadnou korespondenci v poštovním programu. xlkpss nic neodesílá.

    \b
    xlkpss merge dosle/ --orp 4203 --registry registr.xlsx --previous souhrn_2026.xlsx \\
        --deadline 2027-03-31 -o souhrn_2027.xlsx
    xlkpss chase souhrn_2027.xlsx --prefill souhrn_2026.xlsx --prefill registr.xlsx -o urgence/
    """
    from xlkpss.chase import ChaseError, write_chase_pack
    from xlkpss.fsutil import OutputError
    from xlkpss.merge.workbook import ConsolidatedReadError, read_consolidated
    from xlkpss.template.prefill import PrefillError, PrefillSources

    due = deadline
    try:
        c = read_consolidated(souhrn, tables=("submissions", "submitter_completeness", "errors"))
    except ConsolidatedReadError as exc:
        raise click.ClickException(str(exc)) from None
    protect = {souhrn.resolve(), *(p.resolve() for p in prefill)}
    try:
        sources = PrefillSources.load(prefill) if prefill else None
        items, index = write_chase_pack(c, output, sources=sources, deadline=due, protect=protect)
    except (ChaseError, PrefillError) as exc:
        raise click.ClickException(str(exc)) from None
    except OutputError as exc:
        raise click.ClickException(f"výstup nelze uložit: {exc}") from None
    click.echo(f"Podklady k urgenci: {output} ({plural_cs(len(items), SUBMITTERS)})")
    click.echo(f"Pro hromadnou korespondenci: {index}")
