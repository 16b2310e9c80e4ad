"""``xlkpss merge``: submissions (and consolidated ORP or regional workbooks) → one consolidated workbook."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from xlkpss.commands._common import IsoDate, OutputPath, output_problem, warn_folder_changes
from xlkpss.commands.options import territory_option


def _parse_core(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def html_summary(consolidated, out: Path, quiet: bool) -> Path | None:
    """Write the HTML summary when the renderer exists; otherwise say so (stderr)."""
    try:
        from xlkpss.render.summary import render_summary
    except ImportError:
        if not quiet:
            click.echo(
                "Poznámka: HTML souhrn zatím není k dispozici (modul xlkpss.render.summary chybí); soubor nebyl vytvořen.",
                err=True,
            )
        return None
    return render_summary(consolidated, out)


def _pct(value) -> str:
    from xlkpss.i18n import format_number

    if value is None:
        return "–"
    return f"{format_number(value, 0 if float(value).is_integer() else 1)} %"


def summary_lines(c, out: Path) -> list[str]:
    """What the user reads after a merge (Czech)."""
    from xlkpss.merge.status import count_text, status_counts

    m = c.meta
    subs = c.table("submissions")
    by_kind = status_counts(subs.to_dict("records") if len(subs) else [])
    where = f"{'ORP ' if m['level'] == 'orp' else ''}{m['territory_name']} ({m['territory_code']}), rok {m['year']}"
    pct = m.get("completeness")
    lines = [
        f"Souhrnný sešit uložen: {out}",
        f"  území: {where}",
        f"  úplnost: {_pct(pct)} ({m['delivered']} z {m['expected']} očekávaných předkladatelů)",
        *(
            f"  úplnost za {what}: {_pct(m.get(f'completeness_{key}'))}"
            + (f" ({m[f'delivered_{key}']} z {m[f'expected_{key}']})" if m.get(f"delivered_{key}") is not None else "")
            for key, what in (("orp", "ORP"), ("obce", "obce"))
            if f"completeness_{key}" in m
        ),
        *(f"  odevzdání – {kind}: {count_text(per)}" for kind, per in by_kind.items()),
        f"  řádky: přečteno {m['rows_read']}, sloučeno {m['rows_merged']}, vyřazeno {m['rows_excluded']} (důvody na listu Chyby)",
        f"  služeb započteno: {len(c.table('services'))}, konfliktů: {len(c.table('conflicts'))}",
    ]
    if m.get("expected_services") is not None:
        found = m.get("service_findings") or {}
        lines.append(
            f"  úplnost podle služeb: {_pct(m.get('completeness_services'))} ({m['reported_services']} z "
            f"{m['expected_services']} očekávaných podle {m.get('services_basis')}; nehlášeno {found.get('missing', 0)}, "
            f"nově hlášeno {m.get('new_services', 0)}, odlišných od registru {found.get('different', 0)}; list Porovnání služeb)"
        )
    if "queries" in c.tables:
        lines.append(
            f"  neobvyklé hodnoty: {m.get('queries', 0)} dotazů, vysvětleno {m.get('queries_explained', 0)}; "
            f"neposouzeno {m.get('queries_not_assessed', 0)} hodnot ve skupinách menších než "
            f"{m.get('queries_min_peers')} služeb (list Neobvyklé hodnoty)"
        )
    if m.get("network"):
        from xlkpss.merge.network import summary_line

        lines.append(f"  {summary_line(m['network'])}")
    if m.get("unchanged_files"):
        lines.append(f"  vráceno beze změny (předvyplněné šablony bez údajů za rok): {m['unchanged_files']}")
    if m.get("deadline"):
        subs_t = c.table("submissions")
        late = sum(1 for v in subs_t.get("timeliness", []) if v == "po termínu") if len(subs_t) else 0
        from xlkpss.i18n import FILES, plural_cs

        due = dt.date.fromisoformat(m["deadline"])
        lines.append(
            f"  po termínu {due.day}. {due.month}. {due.year}: {plural_cs(late, FILES)} "
            "(list Úplnost předkladatelů; dopisy a soubory k rozeslání: xlkpss chase)"
        )
    return lines


#: Chyby codes of inputs left out by a workflow guard (another level, an earlier output)
LEFT_OUT_CODES = ("summary-level", "submission-level", "network-input")


def left_out_lines(c) -> list[str]:
    """One line per input left out of this merge: the file and what to do."""
    errors = c.table("errors")
    if not len(errors):
        return []
    out = []
    for e in errors.to_dict("records"):
        if e.get("code") in LEFT_OUT_CODES and not e.get("via"):
            note = next(
                (s["note"] for s in c.table("submissions").to_dict("records") if s.get("file") == e.get("src_file")),
                None,
            )
            out.append(f"Vynechán soubor {e.get('src_file')}: {note or e.get('message')}")
    return out


@click.command("merge")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    required=True,
    help="Kam uložit souhrnný sešit (.xlsx).",
)
@click.option(
    "--level",
    type=click.Choice(["orp", "kraj", "stat"]),  # = consolidate.LEVELS (a test checks; importing it here would slow --help)
    help="Úroveň souhrnu: orp (obce a poskytovatelé ORP), kraj (souhrny ORP) nebo stat (souhrny krajů → celá "
    "Česká republika). Výchozí: podle --orp/--kraj, jinak podle vstupů: souhrny ORP → kraj, souhrny krajů → stat.",
)
@territory_option("orp", "Slučované ORP (čtyřmístný kód ČSÚ nebo název, např. 4203 nebo Chomutov); výchozí: určí se ze souborů, je-li jediné.")
@territory_option("kraj", "Slučovaný kraj (kód NUTS 3 nebo název, např. CZ042 nebo „Ústecký kraj“); výchozí: určí se ze souborů.")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    help="Slučovaný rok; soubory za jiný rok se odmítnou. Výchozí: určí se ze souborů.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Souhrnný sešit za minulý rok: list Meziroční změny.",
)
@click.option(
    "--registry",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sešit registru poskytovatelů (xlkpss registry import): listy Porovnání služeb a Úplnost předkladatelů.",
)
@click.option(
    "--reference",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Souhrnný sešit se srovnatelnými službami (např. loňský souhrn kraje): list Neobvyklé hodnoty (dotazy).",
)
@click.option(
    "--network",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Krajská síť sociálních služeb (vyplněná šablona xlkpss template sit): list Síť vs skutečnost.",
)
@click.option(
    "--deadline",
    type=IsoDate(),
    help="Termín odevzdání: Odevzdání a Úplnost předkladatelů ukážou, kdo odevzdal včas, po termínu a kdo chybí.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 10000),
    default=30.0,
    show_default=True,
    help="Práh meziroční změny v % (vyznačí se změny nad ním).",
)
@click.option(
    "--core-services",
    metavar="SEZNAM",
    help="Základní druhy služeb zvýrazněné, když v území chybějí (kódy MPSV, § nebo názvy oddělené čárkou). Výchozí ze spec.toml [gaps].",
)
@click.option(
    "--html",
    "html_out",
    type=OutputPath(),
    help="Uložit také HTML souhrn pro zastupitelstvo.",
)
@click.option(
    "--strict", is_flag=True, help="Při jakékoli chybě skončit (kód 1) a nic neuložit, místo vyřazení chybných řádků."
)
@click.option(
    "--generated",
    type=IsoDate(),
    help="Datum vytvoření zapsané do souhrnu (výchozí dnes); pro opakovatelný výstup.",
)
@click.option(
    "--orp-workbooks",
    "orp_dir",
    type=OutputPath(folder=True),
    help="Celý kraj (--kraj) nebo ČR (--level stat) ze šablon v jednom běhu: do této složky se uloží souhrn "
    "každé ORP (souhrn_orp_KÓD.xlsx), -o je pak souhrn kraje (nebo ČR).",
)
@click.option(
    "--kraj-workbooks",
    "kraj_dir",
    type=OutputPath(folder=True),
    help="S --level stat a --orp-workbooks: do této složky se uloží souhrn každého kraje (souhrn_kraj_KÓD.xlsx).",
)
@click.option("--quiet", "-q", is_flag=True, help="Nevypisovat průběh ani shrnutí.")
def command(
    paths, output, level, orp, kraj, year, previous, registry, reference, network, deadline, threshold, core_services,
    html_out, strict, generated, orp_dir, kraj_dir, quiet,
) -> None:  # fmt: skip
    """Sloučí vyplněné šablony (soubory i složky) do souhrnného sešitu ORP, kraje nebo celé
    České republiky.

    \b
    Souhrn ORP:   xlkpss merge dosle/ --orp 4203 -o souhrn_orp_4203.xlsx
    Souhrn kraje: xlkpss merge souhrn_orp_*.xlsx --kraj CZ042 -o souhrn_kraj.xlsx
    Souhrn ČR:    xlkpss merge souhrn_kraj_*.xlsx --level stat -o souhrn_cr.xlsx
    Celý kraj ze šablon najednou (souhrny ORP do složky orp/):
                  xlkpss merge dosle/ --kraj CZ042 --orp-workbooks orp/ -o souhrn_kraj.xlsx
    Celá ČR ze šablon najednou:
                  xlkpss merge dosle/ --level stat --orp-workbooks orp/ --kraj-workbooks kraje/ -o souhrn_cr.xlsx

    Každý řádek je dohledatelný (soubor, list, řádek, SHA-256); pro každý soubor platí
    přečteno = sloučeno + vyřazeno. Návratový kód: 0 = souhrn uložen, 1 = nelze
    sloučit (nebo chyba v režimu --strict), 2 = chybné zadání.
    """
    from xlkpss.commands.options import progress_callback as _progress
    from xlkpss.commands.options import territory_scope as _territory
    from xlkpss.fsutil import OutputError
    from xlkpss.merge.consolidate import MergeError, MergeUsageError, merge_paths
    from xlkpss.merge.workbook import is_consolidated, write_consolidated
    from xlkpss.validate.engine import collect_paths

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.UsageError(f"soubor nebo složka neexistuje: {', '.join(missing)}")
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("souhrnný sešit se ukládá jako .xlsx", param_hint="-o")
    if orp and kraj:
        raise click.UsageError("zadejte buď --orp, nebo --kraj, ne obojí")
    if level == "orp" and kraj:
        raise click.UsageError("--level orp nelze kombinovat s --kraj (použijte --orp)")
    if level == "kraj" and orp:
        raise click.UsageError("--level kraj nelze kombinovat s --orp (použijte --kraj)")
    if level == "stat" and (orp or kraj):
        raise click.UsageError(
            f"--level stat nelze kombinovat s {'--orp' if orp else '--kraj'}: souhrn za Českou republiku "
            "zahrnuje všechny kraje (zadejte jen --level stat)"
        )
    if orp_dir is not None or kraj_dir is not None:
        # a whole kraj / the country from the templates in one run (xlkpss.merge.territory)
        from xlkpss.commands import territory as whole

        if orp_dir is None:
            raise click.UsageError("--kraj-workbooks se zadává spolu s --orp-workbooks SLOŽKA")
        given = [name for name, v in (("--orp", orp), ("--previous", previous), ("--registry", registry), ("--network", network), ("--reference", reference), ("--deadline", deadline)) if v]
        if given:
            raise click.UsageError(
                f"{', '.join(given)} nelze použít při slučování celého území najednou (--orp-workbooks); "
                "slučujte jednotlivé úrovně zvlášť"
            )
        whole.run(
            paths, output=output, level=level, kraj=kraj, orp_dir=orp_dir, kraj_dir=kraj_dir, year=year,
            core_services=_parse_core(core_services), strict=strict, generated=generated, threshold=threshold,
            html_out=html_out, quiet=quiet, summary_lines=summary_lines,
        )  # fmt: skip
    territory = _territory(None, orp, kraj) if (orp or kraj) else None
    gen, due = generated, deadline
    inputs = collect_paths(paths)
    given = {p.resolve() for p in paths if p.is_file()}
    resolved_inputs = {p.resolve() for p in inputs}
    if html_out is not None and html_out.resolve() in resolved_inputs:
        raise click.UsageError(f"HTML souhrn by přepsal vstupní soubor {html_out}")
    if output.resolve() in resolved_inputs:
        # a consolidated workbook found in an input folder is the output of an earlier
        # run: skip it; anything else (or a file named explicitly) is an input
        if output.resolve() in given or not is_consolidated(output):
            raise click.UsageError(f"výstup {output} by přepsal vstupní soubor; zvolte jiný název (-o)")
        if not quiet:
            click.echo(
                f"Poznámka: {output} je výstup dřívějšího slučování; mezi vstupy se vynechá a přepíše.", err=True
            )
    try:
        c = merge_paths(
            paths,
            level=level,
            territory=territory,
            year=year,
            previous=previous,
            core_services=_parse_core(core_services),
            strict=strict,
            generated=gen,
            threshold=threshold,
            exclude=[output] + ([html_out] if html_out else []),
            progress=_progress(quiet, "Kontroluji"),
            registry=registry,
            deadline=due,
            reference=reference,
            network=network,
        )
    except MergeUsageError as exc:
        raise click.UsageError(str(exc)) from None
    except MergeError as exc:
        raise click.ClickException(str(exc)) from None
    protect = [p for p in inputs if p.resolve() != output.resolve()]
    if previous is not None:
        protect.append(previous)
    if registry is not None:
        protect.append(registry)
    if reference is not None:
        protect.append(reference)
        if output.resolve() == reference.resolve():
            raise click.ClickException(f"výstup {output} by přepsal referenční souhrn (--reference)")
    if network is not None:
        protect.append(network)
    if previous is not None and output.resolve() == previous.resolve():
        raise click.ClickException(f"výstup {output} by přepsal souhrn minulého roku (--previous)")
    try:
        out = write_consolidated(c, output, protect_inputs=protect)
    except (OutputError, OSError) as exc:
        raise output_problem(exc) from None
    warn_folder_changes(paths, inputs, quiet, exclude=(output, html_out))
    html_path = html_summary(c, html_out, quiet) if html_out is not None else None
    for line in left_out_lines(c):
        click.echo(line, err=True)  # even with --quiet: the coordinator must act on it
    for line in c.meta.get("resubmission_warnings") or []:
        click.echo(f"Upozornění: {line}", err=True)
    if not quiet:
        for line in summary_lines(c, out):
            click.echo(line, err=True)
        if html_path is not None:
            click.echo(f"HTML souhrn uložen: {html_path}", err=True)
    sys.exit(0)
