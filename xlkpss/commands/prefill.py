"""The pre-fill options of ``xlkpss template sluzby`` (``--prefill``, ``--ico``,
``--per-submitter``) and what they do: one library call to ``xlkpss.template.prefill``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlkpss.commands._common import OutputPath
from xlkpss.i18n import FILES, ROWS, plural_cs


def prefill_options(f):
    """Add the pre-fill options to the template command (they arrive as keyword arguments)."""
    f = click.option(
        "--per-submitter", "per_submitter", type=OutputPath(folder=True),
        help="Do této složky předvyplněný soubor pro každého předkladatele území (--orp/--kraj): "
        "všechny obce a poskytovatele z loňska i z registru, se seznamem seznam_souboru.csv.",
    )(f)  # fmt: skip
    f = click.option(
        "--ico", metavar="IČO",
        help="Předvyplnit pro poskytovatele s tímto IČO (jeho služby v jedné ORP: --orp, jinak ta, kde jich má nejvíc).",
    )(f)  # fmt: skip
    f = click.option(
        "--prefill", "prefill", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Předvyplnit z loňského souhrnného sešitu (výstup merge) a/nebo ze sešitu registru "
        "(výstup registry import); lze zadat dvakrát.",
    )(f)  # fmt: skip
    return f


def wants_prefill(options: dict) -> bool:
    return bool(options.get("prefill") or options.get("ico") or options.get("per_submitter"))


def run_prefill(kind: str, output: Path | None, *, year: int | None, scope, prefill, ico, per_submitter) -> None:
    """Write the pre-filled template(s) and say what was written (Czech)."""
    from xlkpss.template.prefill import (
        PrefillError,
        PrefillSources,
        Submitter,
        build_prefilled,
        provider_submitter,
        write_per_submitter,
    )

    if kind != "sluzby":
        raise click.UsageError("předvyplnit lze jen šablonu sluzby (--prefill, --ico, --per-submitter)")
    if not prefill:
        raise click.UsageError("chybí --prefill: loňský souhrnný sešit a/nebo sešit registru")
    if year is None:
        raise click.UsageError("u předvyplněné šablony zadejte rok, za který se vyplňuje (--year)")
    if per_submitter is not None and (ico or output is not None):
        raise click.UsageError("--per-submitter vytváří soubory do složky; nekombinujte jej s -o ani --ico")
    if per_submitter is None and output is None:
        raise click.UsageError("chybí -o (kam uložit šablonu) nebo --per-submitter SLOŽKA")
    if output is not None and output.suffix.lower() != ".xlsx":
        raise click.BadParameter("šablona se ukládá jako .xlsx", param_hint="-o")
    protect = {p.resolve() for p in prefill}
    try:
        sources = PrefillSources.load(prefill)
        if per_submitter is not None:
            if scope.level not in ("obec", "orp", "kraj"):
                raise click.UsageError("--per-submitter potřebuje území: --obec, --orp nebo --kraj")
            results, index = write_per_submitter(scope, sources, per_submitter, year=year, protect=protect)
            rows = sum(len(r.rows) for r in results)
            click.echo(f"Předvyplněné šablony uloženy: {per_submitter} ({plural_cs(len(results), FILES)}, {plural_cs(rows, ROWS)})")
            click.echo(f"Seznam, kdo dostane který soubor: {index}")
            return
        if ico:
            within = scope if scope.level != "orp" else None
            orp = scope.code if scope.level == "orp" else None
            if scope.level == "obec":
                from xlkpss.codelists import municipalities

                orp, within = municipalities()[scope.code].orp, None
            sub = provider_submitter(ico.strip(), sources, year, orp=orp, within=within)
        elif scope.level == "obec":
            sub = Submitter("obec", scope.code, scope.name, _orp_of(scope.code))
        elif scope.level == "orp":
            sub = Submitter("orp", scope.code, scope.name, scope.code)
        else:
            raise click.UsageError(
                "pro koho předvyplnit? zadejte --obec, --orp nebo --ico (pro celý kraj --per-submitter SLOŽKA)"
            )
        result = build_prefilled(sub, sources, output, year=year, protect=protect)
    except PrefillError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Předvyplněná šablona uložena: {result.path} ({sub.describe()}: {plural_cs(len(result.rows), ROWS)}, "
        f"z loňska {result.count('souhrn')}, z registru {result.count('registr')})"
    )
    for note in result.notes:
        click.echo(f"  nepředvyplněno: {note}", err=True)
    sys.stdout.flush()


def _orp_of(obec: str) -> str:
    from xlkpss.codelists import municipalities

    return municipalities()[obec].orp
