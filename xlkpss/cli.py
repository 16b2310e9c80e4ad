"""The ``xlkpss`` command line: a thin layer over the library.

Each command parses options, makes one library call and turns library errors into a
clear message (``click.ClickException``, exit code 1 or 2).  Heavy libraries (pandas,
pandera, openpyxl) are imported inside the commands so ``xlkpss --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlkpss import __version__

KINDS = ("sluzby", "plan")


def _territory(obec: str | None, orp: str | None, kraj: str | None):
    from xlkpss.codelists import TerritoryError, territory

    try:
        return territory(obec=obec, orp=orp, kraj=kraj)
    except TerritoryError as exc:
        what = str(exc).split(":")
        raise click.BadParameter(
            {
                "obec": f"neznámý kód obce {what[1]!r} (šestimístný kód ČSÚ, např. 562971 Chomutov)",
                "orp": f"neznámý kód ORP {what[1]!r} (čtyřmístný kód ČSÚ, např. 4203 Chomutov)",
                "kraj": f"neznámý kód kraje {what[1]!r} (kód NUTS 3, např. CZ042 Ústecký kraj)",
            }[what[0]]
            + (" – obec/ORP neleží v zadaném vyšším území" if len(what) > 2 else "")
        ) from None


def _echo_err(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlkpss")
def main() -> None:
    """xlkpss – šablony, kontrola a slučování údajů komunitního plánování sociálních služeb.

    \b
    Typický postup:
      xlkpss template sluzby --orp 4203 -o sablona.xlsx   # šablona pro obce ORP
      xlkpss validate dosle/                              # kontrola vrácených souborů
      xlkpss merge dosle/ --orp 4203 -o orp_chomutov.xlsx  # souhrnný sešit ORP
    """


@main.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Kam uložit šablonu (.xlsx).")
@click.option("--year", type=click.IntRange(2000, 2100), help="Rok, za který se údaje vyplňují (předvyplní se).")
@click.option("--obec", metavar="KÓD", help="Kód obce: předvyplní identifikaci, nabídka obcí z její ORP.")
@click.option("--orp", metavar="KÓD", help="Kód ORP: předvyplní identifikaci, nabídka obcí jen z ORP.")
@click.option("--kraj", metavar="KÓD", help="Kód kraje (NUTS 3): nabídka obcí jen z kraje.")
def template(kind: str, output: Path, year: int | None, obec: str | None, orp: str | None, kraj: str | None) -> None:
    """Vytvoří prázdnou šablonu KIND (sluzby = služby a poskytovatelé, plan = vyhodnocení plánu)."""
    from xlkpss.template import build_template

    scope = _territory(obec, orp, kraj)
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("šablona se ukládá jako .xlsx", param_hint="-o")
    path = build_template(kind, output, year=year, scope=scope)
    click.echo(f"Šablona uložena: {path}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
