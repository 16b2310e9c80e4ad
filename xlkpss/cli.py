"""The ``xlkpss`` command line: a thin layer over the library.

Each command parses options, makes one library call and turns library errors into a
clear message (``click.ClickException``, exit code 1 or 2).  Heavy libraries (pandas,
pandera, openpyxl) are imported inside the commands so ``xlkpss --help`` stays instant.
"""

from __future__ import annotations

import dataclasses
import errno
import sys
from pathlib import Path

import click

from xlkpss import __version__, clitext
from xlkpss.commands._common import OutputPath, warn_folder_changes
from xlkpss.commands.options import progress_callback as _progress
from xlkpss.commands.options import territory_option
from xlkpss.commands.options import territory_scope as _territory
from xlkpss.commands.prefill import prefill_options, run_prefill, wants_prefill

clitext.install()  # click's own texts in Czech (before any option is declared)

KINDS = ("sluzby", "plan", "sit")

#: optional imports of dependencies that no command needs: pandera imports hypothesis
#: (data synthesis for its test strategies) whenever it is installed — 0.15 s of every
#: run on a machine that has it (a developer's, or one with the test extra)
_UNUSED_OPTIONAL_IMPORTS = ("hypothesis",)


def run() -> None:
    """The ``xlkpss`` console script: ``main`` without the optional imports above (an
    import of them raises ImportError, as if they were not installed)."""
    for name in _UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    main()


def _echo_err(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


class _SafeOutputGroup(clitext.CzechGroup):
    """The top-level group: an output that cannot be written (``OutputError``, or any
    ``OSError`` a command let through — full disk, read-only folder, no permission …) ends
    as one Czech sentence „Chyba: …“ and exit code 1, never a traceback; every run starts
    with click's texts in Czech (``clitext.CzechGroup``)."""

    def invoke(self, ctx: click.Context):
        from xlkpss.fsutil import OutputError

        try:
            return super().invoke(ctx)
        except (OutputError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # output piped into `head`: click ends quietly
            from xlkpss.commands._common import output_problem

            raise output_problem(exc) from None


@click.group(cls=_SafeOutputGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("-o", "--output", type=OutputPath(), help="Kam uložit šablonu (.xlsx).")
@click.option("--year", type=click.IntRange(2000, 2100), help="Rok, za který se údaje vyplňují (předvyplní se).")
@territory_option("obec", "Obec (kód nebo název, např. 563382 nebo Údlice): předvyplní identifikaci, nabídka obcí z její ORP.")
@territory_option("orp", "ORP (kód nebo název, např. 4203 nebo Chomutov): předvyplní identifikaci, nabídka obcí jen z ORP.")
@territory_option("kraj", "Kraj (kód NUTS 3 nebo název, např. CZ042 nebo „Ústecký kraj“): nabídka obcí jen z kraje.")
@prefill_options
def template(kind: str, output: Path | None, year: int | None, obec: str | None, orp: str | None, kraj: str | None, **prefill) -> None:
    """Vytvoří prázdnou šablonu: sluzby = služby a poskytovatelé, plan = vyhodnocení plánu,
    sit = krajská síť sociálních služeb (vyplňuje kraj; s --kraj jen ORP kraje).

    S --prefill vytvoří šablonu předvyplněnou z loňského souhrnu a/nebo z registru.
    """
    from xlkpss.template import build_template

    scope = _territory(obec, orp, kraj)
    if wants_prefill(prefill):
        return run_prefill(kind, output, year=year, scope=scope, **prefill)
    if output is None:
        raise click.UsageError("chybí -o (kam uložit šablonu)")
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("šablona se ukládá jako .xlsx", param_hint="-o")
    path = build_template(kind, output, year=year, scope=scope)
    click.echo(f"Šablona uložena: {path}")


def _set_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    clitext.set_language(value)  # click's own messages follow the report language
    return value


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["cs", "en"]),
    default="cs",
    show_default=True,
    is_eager=True,
    callback=_set_lang,
    help="Jazyk hlášení (cs = čeština, en = English).",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True, help="Formát hlášení na standardní výstup.")
@click.option("-o", "--output", "report_path", type=OutputPath(), help="Uložit hlášení do souboru (ve formátu --format) místo výpisu.")
@LANG_OPTION
@click.option("--annotate", "annotate_dir", type=OutputPath(folder=True), help="Do této složky uložit kopie souborů s vyznačenými chybami.")
@click.option("--year", type=click.IntRange(2000, 2100), help="Očekávaný rok údajů (jiný rok je chyba).")
@click.option("--quiet", "-q", is_flag=True, help="Vypsat jen chyby (bez upozornění, souhrnů a průběhu); nic, je-li vše v pořádku.")
@click.option("--csv-plain", is_flag=True, help="S --format csv: prostý CSV (čárky, bez BOM) pro programy; výchozí je CSV pro český Excel (středníky, UTF-8 s BOM).")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Souhrnný sešit (např. loňský souhrn kraje) se srovnatelnými službami: dotazy na neobvyklé hodnoty.")
@click.option("--engine", type=click.Choice(["calamine", "openpyxl"]), default="calamine", hidden=True)
def validate(paths, fmt, lang, annotate_dir, report_path, year, quiet, csv_plain, reference, engine) -> None:
    """Zkontroluje vyplněné šablony (soubory nebo složky, i podsložky).

    Návratový kód: 0 = vše v pořádku (upozornění nevadí), 1 = některý soubor má chybu,
    2 = chybné zadání příkazu.
    """
    from xlkpss.validate.engine import collect_paths, validate_paths
    from xlkpss.validate.report import to_csv, to_json, to_text

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.UsageError(f"soubor nebo složka neexistuje: {', '.join(missing)}")
    files = collect_paths(paths)
    if not files:
        raise click.UsageError("v zadaných složkách není žádný soubor .xlsx, .xlsm, .xls ani .ods")
    ref = None
    if reference is not None:
        from xlkpss.merge.peers import ReferenceError, read_reference

        try:
            ref = read_reference(reference)
        except ReferenceError as exc:
            raise click.ClickException(str(exc)) from None
    results = validate_paths(files, expected_year=year, engine=engine, progress=_progress(quiet, "Kontroluji"))
    warn_folder_changes(paths, files, quiet)
    if ref is not None:
        from xlkpss.validate.peers import query_files, summary_text

        found = query_files(results, ref.table("services").to_dict("records"), scope=f"v referenčním souhrnu {reference.name}")
        _echo_err(summary_text(found, reference.name), quiet)
    # --quiet: on the screen the errors and nothing else; a report file (-o) is complete
    errors_only = quiet and report_path is None
    shown = [dataclasses.replace(r, issues=r.errors) for r in results] if errors_only else results

    def report() -> str:
        if fmt == "json":
            return to_json(shown, lang) + "\n"
        if fmt == "csv":
            return to_csv(shown, lang, excel=not csv_plain)
        if errors_only:
            return to_text(shown, lang, errors_only=True)
        return to_text(results, lang) + "\n"

    if report_path is not None:
        from xlkpss.fsutil import write_text_atomic

        write_text_atomic(report_path, report(), protect=set(files))
        _echo_err(f"Hlášení uloženo: {report_path}", quiet)
    else:
        click.echo(report(), nl=False)
    if annotate_dir:
        from xlkpss.validate.annotate import annotate_all

        written = annotate_all(results, annotate_dir, lang)
        _echo_err(f"Označené kopie ({len(written)}): {annotate_dir}", quiet)
    sys.exit(0 if all(r.valid for r in results) else 1)


def _register_commands() -> None:
    import importlib

    from xlkpss.commands import COMMAND_MODULES

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"xlkpss.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"xlkpss.commands.{name}":
                raise
            continue
        main.add_command(module.command)


_register_commands()
clitext.localize(main)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
