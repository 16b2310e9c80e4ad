"""``xlkpss registry import``: the MPSV registry open data (rpss.json) → registr.xlsx."""

from __future__ import annotations

from pathlib import Path

import click

from xlkpss.commands._common import OutputPath, output_problem
from xlkpss.commands.options import territory_option, territory_scope


@click.group(name="registry")
def command() -> None:
    """Registr poskytovatelů sociálních služeb MPSV (otevřená data rpss.json).

    \b
    Příklad:
      xlkpss registry import rpss.json --orp 4203 -o registr.xlsx
    """


@command.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=OutputPath(), required=True,
    help="Kam uložit sešit registru (.xlsx).",
)  # fmt: skip
@territory_option("kraj", "Jen služby s místem poskytování v kraji (kód NUTS 3 nebo název, např. CZ042 nebo „Ústecký kraj“).")
@territory_option("orp", "Jen služby s místem poskytování v ORP (kód ČSÚ nebo název, např. 4203 nebo Chomutov).")
@click.option("--quiet", "-q", is_flag=True, help="Nevypisovat souhrn, jen návratový kód.")
def import_command(source: Path, output: Path, kraj: str | None, orp: str | None, quiet: bool) -> None:
    """Převede soubor rpss.json (stažený z data.mpsv.cz) na sešit registru.

    Sešit má list s řádkem za každou službu a formu (identifikátor, poskytovatel a IČO,
    druh, forma, kapacita a její typ, cílové a věkové skupiny, obce poskytování,
    kontakty, data poskytování), místa poskytování (utajené adresy se nezapisují),
    poskytovatele a problémy záznamů (neznámé kódy, nepoužitelné záznamy). Soubor se
    čte postupně, i celostátní (~100 MB) zabere málo paměti. Nic se nestahuje.

    \b
    Příklad:
      xlkpss registry import rpss.json -o registr_cr.xlsx
      xlkpss registry import rpss.json --kraj CZ042 -o registr_ustecky.xlsx
    """
    from xlkpss.fsutil import OutputError
    from xlkpss.registry import RegistryError, import_registry, summary_line, write_registry

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("sešit registru se ukládá jako .xlsx", param_hint="-o")
    scope = territory_scope(None, orp, kraj) if (orp or kraj) else None
    try:
        reg = import_registry(source, territory=scope)
        path = write_registry(reg, output, protect={source})
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    except OutputError as exc:
        raise output_problem(exc) from None
    if not quiet:
        click.echo(f"Sešit registru uložen: {path}")
        click.echo(summary_line(reg))
        if reg.issues:
            click.echo(f"Problémy záznamů jsou na listu „Problémy“ ({len(reg.issues)}).")
