"""``xlkpss demo``: the whole yearly job on the bundled samples, in one command.

Blank templates → validation report of every sample (with annotated copies of the files
that have problems) → a consolidated workbook for each sample ORP → the regional
workbook from those ORP workbooks → HTML summaries → the plan fulfilment sheet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import click

from xlkpss.commands._common import IsoDate, OutputPath
from xlkpss.i18n import SUBMITTERS, plural_cs

#: the template kind of the regional network (= xlkpss.merge.network.KIND; a test checks —
#: importing it here would slow every command's start)
NETWORK_KIND = "sit"

#: sample ORP folders are named ``orp_<kód ORP>_<name>``
_ORP_FOLDER = re.compile(r"^orp_(\d{4})(?:_|$)")


def samples_dir() -> Path:
    """``samples/`` next to the package (the repository checkout; the package is installed editable)."""
    import xlkpss

    return Path(xlkpss.__file__).resolve().parent.parent / "samples"


@dataclass
class DemoResult:
    """What the demo wrote, in the order it is listed to the user."""

    out_dir: Path
    written: list[tuple[str, Path]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, path: Path | None) -> None:
        if path is not None:
            self.written.append((what, Path(path)))


def _rel(path: Path) -> str:
    """A path as the user can type it (relative to the current folder when inside it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_demo(out_dir: Path, *, generated: dt.date, quiet: bool = True, progress=None) -> DemoResult:
    """Run the demo into ``out_dir``; raises ``click.ClickException`` with a Czech message."""
    from xlkpss.codelists import STATE, orps, territory
    from xlkpss.fsutil import write_text_atomic
    from xlkpss.merge.consolidate import MergeError, infer_year, merge_results
    from xlkpss.merge.workbook import read_consolidated, write_consolidated
    from xlkpss.spec import load_spec
    from xlkpss.template import build_template
    from xlkpss.validate.annotate import annotate_all
    from xlkpss.validate.engine import collect_paths, validate_paths
    from xlkpss.validate.report import to_json, to_text

    src = samples_dir()
    orp_dirs = sorted(p for p in src.iterdir() if p.is_dir() and _ORP_FOLDER.match(p.name)) if src.is_dir() else []
    if not orp_dirs:
        raise click.ClickException(
            f"ukázkové soubory nenalezeny (očekávány ve složce {src} s podsložkami orp_KÓD_název). "
            "Demo běží z kopie repozitáře xlkpss (git clone …; pip install -e .); "
            "vzorky vytvoří příkaz python scripts/make_samples.py."
        )
    inputs = collect_paths([src])
    if out_dir.resolve() == src.resolve() or src.resolve() in out_dir.resolve().parents:
        raise click.ClickException(f"výstupní složka {out_dir} nesmí být uvnitř vzorků {src}")
    res = DemoResult(out_dir=out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. validate every sample once (the ORP merges reuse the results)
    results = validate_paths(inputs, progress=progress)
    by_path = {Path(r.path).resolve(): r for r in results}
    year = infer_year([r for r in results if r.valid], [])

    # 2. blank templates for the first sample ORP
    first_orp = _ORP_FOLDER.match(orp_dirs[0].name).group(1)  # type: ignore[union-attr]
    scope = territory(orp=first_orp)
    for kind, spec in load_spec().templates.items():
        # the network template is the kraj's: its ORP dropdown lists the ORP of the kraj
        where = territory(kraj=orps()[first_orp]["kod_kraje"]) if kind == NETWORK_KIND else scope
        res.add(
            f"Šablona „{spec.title}“", build_template(kind, out_dir / "sablony" / spec.filename, year=year, scope=where)
        )
    networks = _networks(results, year, res)

    # 3. validation report (text + JSON) and annotated copies of the files with problems
    check = out_dir / "kontrola"
    res.add("Kontrola vzorků (text)", write_text_atomic(check / "kontrola.txt", to_text(results), protect=set(inputs)))
    res.add(
        "Kontrola vzorků (JSON)",
        write_text_atomic(check / "kontrola.json", to_json(results) + "\n", protect=set(inputs)),
    )
    problems = [r for r in results if r.errors or r.warnings]
    annotated = annotate_all(problems, check / "oznacene")
    if annotated:
        res.add(f"Označené kopie souborů s problémy ({len(annotated)})", check / "oznacene")
    bad = sum(1 for r in results if not r.valid)
    res.notes.append(
        f"zkontrolováno {len(results)} vzorků, {bad} s chybami (složka {src.name}/invalid ukazuje typické chyby)"
    )

    # 4. one consolidated workbook per sample ORP, then the regional workbook
    orp_books: list[Path] = []
    kraj_books: list[Path] = []
    kraje: set[str] = set()
    try:
        for folder in orp_dirs:
            code = _ORP_FOLDER.match(folder.name).group(1)  # type: ignore[union-attr]
            if code not in orps():
                res.notes.append(f"složka {folder.name}: neznámý kód ORP {code}, přeskočena")
                continue
            t = territory(orp=code)
            kraje.add(orps()[code]["kod_kraje"])
            mine = [by_path[p.resolve()] for p in collect_paths([folder]) if p.resolve() in by_path]
            c = merge_results(mine, level="orp", territory=t, year=year, generated=generated)
            book = out_dir / f"souhrn_orp_{code}_{_slug(t.name)}.xlsx"
            write_consolidated(c, book, protect_inputs=inputs)
            orp_books.append(book)
            res.add(f"Souhrn ORP {t.name} ({_pct(c.meta['completeness'])} obcí)", book)
            res.add(f"HTML souhrn ORP {t.name}", _html(c, book.with_suffix(".html"), res))
        for kraj in sorted(kraje):
            kt = territory(kraj=kraj)
            summaries = [
                read_consolidated(b, sandbox=False) for b in orp_books if orps()[_code_of(b)]["kod_kraje"] == kraj
            ]
            c = merge_results([], level="kraj", territory=kt, year=year, generated=generated, summaries=summaries,
                              network=networks.get(kraj))  # fmt: skip
            book = out_dir / f"souhrn_kraj_{kraj}.xlsx"
            write_consolidated(c, book, protect_inputs=inputs + orp_books)
            res.add(f"Souhrn kraje {kt.name} (ze souhrnů ORP{', se sítí služeb kraje' if kraj in networks else ''})", book)
            res.add(f"HTML souhrn kraje {kt.name}", _html(c, book.with_suffix(".html"), res))
            _catalogue(c, out_dir / f"katalog_{kraj}", res)
            kraj_books.append(book)
        # next year's templates of the first ORP, pre-filled from its workbook and the sample registry
        registry_book = _prefill(orp_books[0], _code_of(orp_books[0]), year, out_dir, inputs, res)
        if registry_book is not None:
            first = next(f for f in orp_dirs if _ORP_FOLDER.match(f.name).group(1) == _code_of(orp_books[0]))  # type: ignore[union-attr]
            mine = [by_path[p.resolve()] for p in collect_paths([first]) if p.resolve() in by_path]
            _compare(mine, _code_of(orp_books[0]), year, registry_book, out_dir, inputs, generated, res)
        # the national workbook, from the regional one(s): the same step a ministry runs for all 14 kraje
        summaries = [read_consolidated(b, sandbox=False) for b in kraj_books]
        c = merge_results([], level="stat", territory=STATE, year=year, generated=generated, summaries=summaries)
        book = out_dir / "souhrn_cr.xlsx"
        write_consolidated(c, book, protect_inputs=inputs + orp_books + kraj_books)
        res.add(
            f"Souhrn za Českou republiku (ze souhrnů krajů, {c.meta['delivered']} ze {c.meta['expected']} krajů)", book
        )
        res.add("HTML souhrn za Českou republiku", _html(c, book.with_suffix(".html"), res))
    except MergeError as exc:
        raise click.ClickException(str(exc)) from None

    # 5. the plan fulfilment sheet of the valid plan evaluations in the ORP folders
    _fulfilment(results, orp_dirs, out_dir, year, inputs, res)
    return res


def _networks(results, year: int, res: DemoResult) -> dict:
    """The sample networks of services (template sit, validated with the other samples) of the
    year, by kraj: the regional merge compares its services with them (Síť vs skutečnost)."""
    from xlkpss.merge.network import NetworkError, network_from_result

    out = {}
    for r in results:
        if r.kind != NETWORK_KIND:
            continue
        try:
            net = network_from_result(r)
        except NetworkError as exc:
            res.notes.append(f"síť služeb nepoužita: {exc}")
            continue
        if net.year in (None, year):
            out.setdefault(net.kraj, net)
    return out


def _compare(results, orp: str, year: int, registry_book: Path, out_dir: Path, inputs, generated, res: DemoResult) -> None:
    """The ORP merged again with the registry and a deadline (completeness per service,
    timeliness), and the chasing pack of who has to be asked again."""
    from xlkpss.chase import write_chase_pack
    from xlkpss.codelists import territory
    from xlkpss.merge.consolidate import merge_results
    from xlkpss.merge.workbook import write_consolidated
    from xlkpss.registry import read_registry
    from xlkpss.template.prefill import PrefillSources

    t = territory(orp=orp)
    deadline = dt.date(year + 1, 3, 31)
    c = merge_results(results, level="orp", territory=t, year=year, generated=generated,
                      registry=read_registry(registry_book), deadline=deadline)  # fmt: skip
    # not souhrn_orp_*: it is a second look at the same ORP, not one more ORP for the regional merge
    book = out_dir / f"porovnani_s_registrem_orp_{orp}.xlsx"
    write_consolidated(c, book, protect_inputs=inputs)
    res.add(
        f"Souhrn ORP {t.name} s porovnáním s registrem (úplnost podle služeb {_pct(c.meta.get('completeness_services'))})",
        book,
    )
    res.add(f"HTML souhrn ORP {t.name} s porovnáním s registrem", _html(c, book.with_suffix(".html"), res))
    items, index = write_chase_pack(
        c, out_dir / "urgence", sources=PrefillSources.load([registry_book]), deadline=deadline, protect=set(inputs)
    )
    res.add(f"Podklady k urgenci ({plural_cs(len(items), SUBMITTERS)}: šablony a CSV pro hromadnou korespondenci)", index)


def _prefill(orp_book: Path, orp: str, year: int, out_dir: Path, inputs, res: DemoResult) -> Path | None:
    """The registry sample imported for the ORP's kraj, and next year's pre-filled
    templates for every submitter of the ORP (with the index of who gets which file)."""
    from xlkpss.codelists import orps, territory
    from xlkpss.registry import import_registry, write_registry
    from xlkpss.template.prefill import PrefillSources, write_per_submitter

    rpss = samples_dir() / "registr" / "rpss_ukazka.json"
    if not rpss.is_file():
        res.notes.append(f"ukázka registru {rpss} chybí: předvyplněné šablony vznikly jen z loňského souhrnu")
        sources = PrefillSources.load([orp_book])
        book = None
    else:
        reg = import_registry(rpss, territory=territory(kraj=orps()[orp]["kod_kraje"]))
        book = write_registry(reg, out_dir / "registr.xlsx", protect=set(inputs))
        res.add(f"Registr poskytovatelů (ukázka; {reg.meta['rows']} služeb × forem)", book)
        sources = PrefillSources.load([orp_book, book])
    target = out_dir / f"predvyplnene_{year + 1}"
    results, index = write_per_submitter(territory(orp=orp), sources, target, year=year + 1, protect=set(inputs))
    filled = sum(1 for r in results if r.rows)
    res.add(f"Předvyplněné šablony na rok {year + 1} ({plural_cs(len(results), SUBMITTERS)}, {filled} s řádky)", target)
    res.add("Kdo dostane který soubor (CSV pro Excel)", index)
    return book


def _catalogue(c, stem: Path, res: DemoResult) -> None:
    """The public catalogue of the region's services: web page, open-data CSV, PDF when Chromium is here."""
    from xlkpss.render.catalogue import (
        build_catalogue,
        chromium_executable,
        print_pdf,
        render_catalogue_html,
        write_catalogue_csv,
    )

    model = build_catalogue(c)
    html = render_catalogue_html(model, stem.with_suffix(".html"))
    res.add("Katalog poskytovatelů (web)", html)
    res.add("Katalog poskytovatelů (otevřená data CSV)", write_catalogue_csv(model, stem.with_suffix(".csv")))
    if chromium_executable():
        res.add("Katalog poskytovatelů (PDF k tisku)", print_pdf(html, stem.with_suffix(".pdf")))
    else:
        res.notes.append("PDF katalogu nevzniklo: Chromium není nainstalován")


def _fulfilment(results, orp_dirs, out_dir: Path, year: int, inputs, res: DemoResult) -> Path | None:
    """The fulfilment workbook and page of the valid plan evaluations (when the renderer exists)."""

    try:
        from xlkpss.plan import plans_from_results
        from xlkpss.render.fulfilment import write_fulfilment, write_fulfilment_html
    except ImportError:
        res.notes.append("vyhodnocení plnění plánu zatím není k dispozici (modul xlkpss.render.fulfilment chybí)")
        return None
    roots = [d.resolve() for d in orp_dirs]
    plans_results = [
        r
        for r in results
        if r.kind == "plan" and r.valid and any(root in Path(r.path).resolve().parents for root in roots)
    ]
    if not plans_results:
        return None
    plans = plans_from_results(plans_results)
    book = write_fulfilment(plans, out_dir / f"plneni_planu_{year}.xlsx", year=year, protect=inputs)
    html = write_fulfilment_html(plans, out_dir / f"plneni_planu_{year}.html", year=year, protect=inputs)
    res.add(f"Plnění plánů ({plural_cs(len(plans), ('plán', 'plány', 'plánů'))})", Path(book))
    res.add("Plnění plánů (HTML k tisku)", Path(html))
    return Path(book)


def _html(c, path: Path, res: DemoResult) -> Path | None:
    try:
        from xlkpss.render.summary import render_summary
    except ImportError:
        if "HTML souhrn" not in " ".join(res.notes):
            res.notes.append("HTML souhrn zatím není k dispozici (modul xlkpss.render.summary chybí)")
        return None
    return render_summary(c, path)


def _pct(value) -> str:
    from xlkpss.i18n import format_number

    if value is None:
        return "–"
    return f"{format_number(value, 0 if float(value).is_integer() else 1)} %"


def _code_of(book: Path) -> str:
    return book.name.split("_")[2]


def _slug(name: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@click.command("demo")
@click.argument("out_dir", required=False, default="xlkpss-demo", type=OutputPath(folder=True))
@click.option("--generated", type=IsoDate(), help="Datum vytvoření souhrnů (výchozí dnes).")
@click.option("--quiet", "-q", is_flag=True, help="Nevypisovat průběh.")
def command(out_dir: Path, generated: dt.date | None, quiet: bool) -> None:
    """Ukázka celého postupu na přiložených vzorcích (do SLOŽKY, výchozí ./xlkpss-demo).

    Vytvoří prázdné šablony, zkontroluje všechny vzorky (hlášení text + JSON a
    označené kopie chybných souborů), sloučí vzorky každé ORP do souhrnného sešitu,
    souhrny ORP do souhrnu kraje, k souhrnům HTML stránky a vyhodnocení plnění plánů,
    převede ukázku registru poskytovatelů a předvyplní šablony na příští rok,
    a vypíše, kde co je. Vzorky se nemění.
    """
    from xlkpss.commands.options import progress_callback as _progress

    gen = generated or dt.date.today()
    res = run_demo(out_dir, generated=gen, quiet=quiet, progress=_progress(quiet, "Kontroluji vzorky"))
    click.echo(f"Ukázka xlkpss je hotová ve složce {_rel(out_dir)}:")
    width = max(len(what) for what, _ in res.written) if res.written else 0
    for what, path in res.written:
        click.echo(f"  {what.ljust(width)}  {_rel(path)}")
    for note in res.notes:
        click.echo(f"  Poznámka: {note}")
    click.echo("Dál: otevřete souhrnný sešit kraje v Excelu nebo LibreOffice, nebo HTML souhrn v prohlížeči.")
