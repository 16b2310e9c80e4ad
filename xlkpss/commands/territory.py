"""``xlkpss merge … --orp-workbooks DIR`` (and ``--kraj-workbooks``): a whole kraj or the
country from the filled templates in one run (``xlkpss.merge.territory``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

_BOOKS = ("sešit", "sešity", "sešitů")


def progress_bars(quiet: bool):
    """progress(stage, done, total): one bar a stage (stderr), none when quiet or not a terminal."""
    from xlkpss.commands.options import progress_callback
    from xlkpss.merge.territory import STAGES

    bars = {stage: progress_callback(quiet, label) for stage, label in STAGES.items()}
    if not any(bars.values()):
        return None

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is not None and done:
            bar(done, total)

    return update


def run(
    paths, *, output: Path, level: str | None, kraj: str | None, orp_dir: Path, kraj_dir: Path | None, year,
    core_services, strict: bool, generated, threshold: float, html_out: Path | None, quiet: bool,
    summary_lines,
) -> None:  # fmt: skip
    from xlkpss.commands._common import output_problem, warn_folder_changes
    from xlkpss.commands.options import territory_scope
    from xlkpss.fsutil import OutputError, resolve_paths
    from xlkpss.i18n import plural_cs
    from xlkpss.merge.consolidate import MergeError, MergeUsageError
    from xlkpss.merge.territory import merge_territory
    from xlkpss.validate.engine import collect_paths

    if level == "orp":
        raise click.UsageError("--orp-workbooks patří k souhrnu kraje (--kraj KÓD) nebo ČR (--level stat), ne k --level orp")
    if level == "stat":
        if kraj_dir is None:
            raise click.UsageError("souhrn za Českou republiku ze šablon: zadejte také --kraj-workbooks SLOŽKA pro souhrny krajů")
        territory = None
    else:
        if not kraj:
            raise click.UsageError("souhrn kraje ze šablon: zadejte kraj (--kraj KÓD, např. CZ042)")
        if kraj_dir is not None:
            raise click.UsageError("--kraj-workbooks patří k souhrnu za Českou republiku (--level stat)")
        territory = territory_scope(None, None, kraj)
    inputs = collect_paths(paths)
    resolved = set(resolve_paths(inputs))
    given = set(resolve_paths(paths))
    for what in (output, html_out):
        if what is not None and what.resolve() in resolved and what.resolve() in given:
            raise click.UsageError(f"výstup {what} by přepsal vstupní soubor; zvolte jiný název (-o)")
    try:
        done = merge_territory(
            inputs,  # the folders listed once (above), not again
            output=output,
            orp_dir=orp_dir,
            kraj_dir=kraj_dir,
            territory=territory,
            year=year,
            core_services=core_services,
            strict=strict,
            generated=generated,
            threshold=threshold,
            html=html_out,
            progress=progress_bars(quiet),
        )
    except MergeUsageError as exc:
        raise click.UsageError(str(exc)) from None
    except MergeError as exc:
        raise click.ClickException(str(exc)) from None
    except (OutputError, OSError) as exc:
        raise output_problem(exc) from None
    warn_folder_changes(paths, inputs, quiet, exclude=(output, html_out, *done.orp_workbooks.values(), *done.kraj_workbooks.values()))
    html_path = done.html
    plan = done.plan
    for path, note in plan.outside:
        click.echo(f"Vynechán soubor {path}: {note}", err=True)
    for path, why in plan.unplaced:
        click.echo(f"Soubor {path} nelze přiřadit k žádné ORP ({why}); není v žádném souhrnu.", err=True)
    for meta in [*done.orp_meta.values(), *done.kraj_meta.values(), done.consolidated.meta]:
        for line in meta.get("resubmission_warnings") or []:
            click.echo(f"Upozornění ({meta.get('territory_name')}): {line}", err=True)
    if not quiet:
        click.echo(f"Souhrny ORP uloženy: {plural_cs(len(done.orp_workbooks), _BOOKS)} ve složce {orp_dir}", err=True)
        if kraj_dir is not None and level == "stat":
            click.echo(f"Souhrny krajů uloženy: {plural_cs(len(done.kraj_workbooks), _BOOKS)} ve složce {kraj_dir}", err=True)
        for line in summary_lines(done.consolidated, output):
            click.echo(line, err=True)
        if html_path is not None:
            click.echo(f"HTML souhrn uložen: {html_path}", err=True)
    if plan.unplaced:
        click.echo(
            f"Chyba: {plural_cs(len(plan.unplaced), ('soubor', 'soubory', 'souborů'))} nelze přiřadit k ORP, "
            "v žádném souhrnu tedy nejsou; "
            "opravte je (xlkpss validate) a spusťte slučování znovu.",
            err=True,
        )
        sys.exit(1)
    sys.exit(0)
