"""Katalog poskytovatelů: the public catalogue of social services, built from merged data.

``build_catalogue(c)`` turns a :class:`~xlkpss.merge.model.Consolidated` (a fresh merge
or a consolidated workbook read back) into plain data: sections by planning area
(senioři; osoby se zdravotním postižením; rodiny s dětmi, děti a mládež; osoby ohrožené
sociálním vyloučením; ostatní), one card per service and form, an index of providers and
an index of municipalities.  ``render_catalogue_html`` writes one self-contained page
(inline CSS, a few lines of inline script for the search box allowed by a CSP hash, no
request), printable as an A4 or A5 booklet; ``print_pdf`` prints it through headless
Chromium; ``write_catalogue_csv`` writes the open-data table.

Which services: every row of the consolidated ``services`` table (the merge keeps only
valid rows and has already deduplicated a service reported by an obec and by its
provider); the catalogue drops any repeat of the same identifikátor + forma (or, for an
unregistered service, the same name + IČO + forma + obec) once more, so each service
appears exactly once per form.

Sections: the mapping of MPSV target groups to sections is data, ``[[catalogue.sections]]``
in ``xlkpss/spec/spec.toml``.  A service's card is printed ONCE, in the section of its
first target group (the one the submitter put first); every other section its target
groups map to lists it under "Viz také" with a link to the card.  Cards are numbered;
the printed indexes refer to these numbers (the web page links to the cards).

CSV columns (UTF-8 with BOM, ``,`` separated, one row per service and form).  Names
follow the MPSV open-data record of the registry (RPSS, ``rpss.json``: JSON paths
written with dots) where the registry has the field; the rest are ours:

=============================  ==============================================================
``identifikator``              RPSS identifikátor (7 digits); empty for an unregistered service
``registrovana``               ``ano`` / ``ne`` (ours)
``nazev``                      name of the service (ours; the registry names facilities)
``poskytovatel.ico``           provider's IČO (8 digits)
``poskytovatel.nazev``         provider's name
``druhSocialniSluzby.id``      ``DruhSocialniSluzby/<MPSV code>``
``druhSocialniSluzby.nazev``   service type, e.g. ``domovy pro seniory``
``paragraf``                   section of Act 108/2006 Sb., e.g. ``§49`` (ours)
``formy.forma.id``             ``FormaSocialniSluzby/pob|amb|ter``
``formy.forma.nazev``          ``pobytová`` / ``ambulantní`` / ``terénní``
``formy.kapacity.pocet``       registered capacity (maximum, not free places)
``formy.kapacity.typ.id``      ``TypKapacitySocialniSluzby/luzka|klient|kontakt|interv|hovor``
``formy.kapacity.typ.nazev``   capacity type in words
``formy.casoveRozsahy``        opening hours / availability as text
``adresa.obec.id``             ``Obec/<kód obce>`` where the service is provided
``adresa.obec.nazev``          municipality name
``adresa``                     address of the place of provision as text
``kodOrp`` / ``nazevOrp``      ORP of the municipality (ours)
``telefony``                   telephone of the service
``emaily``                     e-mail of the service
``weby``                       web
``ciloveSkupiny.id``           ``CilovaSkupinaOsoby/<code>`` joined by `` | ``
``ciloveSkupiny.nazev``        target groups in words, joined by `` | ``
``vekoveSkupiny.id``           ``VekovaSkupinaOsoby/<code>`` joined by `` | ``
``vekoveSkupiny.nazev``        age groups in words, joined by `` | ``
``popis``                      short description for the public (ours)
``oddil``                      catalogue section of the card (ours)
``rok``                        year of the data (ours)
=============================  ==============================================================
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.codelists import codelist, is_related_type, normalize_key
from xlkpss.collate import czech_key
from xlkpss.fsutil import atomic_path
from xlkpss.merge.model import Consolidated
from xlkpss.render.html import fmt_date, fmt_number, is_blank, render_template
from xlkpss.spec import load_spec

__all__ = [
    "CSV_COLUMNS",
    "CatalogueError",
    "CatalogueModel",
    "Entry",
    "Section",
    "build_catalogue",
    "catalogue_html",
    "chromium_executable",
    "print_pdf",
    "render_catalogue_html",
    "write_catalogue_csv",
]

CSV_COLUMNS = (
    "identifikator", "registrovana", "nazev", "poskytovatel.ico", "poskytovatel.nazev",
    "druhSocialniSluzby.id", "druhSocialniSluzby.nazev", "paragraf", "formy.forma.id", "formy.forma.nazev",
    "formy.kapacity.pocet", "formy.kapacity.typ.id", "formy.kapacity.typ.nazev", "formy.casoveRozsahy",
    "adresa.obec.id", "adresa.obec.nazev", "adresa", "kodOrp", "nazevOrp", "telefony", "emaily", "weby",
    "ciloveSkupiny.id", "ciloveSkupiny.nazev", "vekoveSkupiny.id", "vekoveSkupiny.nazev", "popis", "oddil", "rok",
)

#: the search box: shown and wired only when scripts run (without them the page is a plain list)
SEARCH_SCRIPT = """(function () {
  var box = document.getElementById('hledat'), form = document.getElementById('hledani');
  var cards = document.querySelectorAll('[data-search]'), count = document.getElementById('pocet');
  form.hidden = false;
  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  box.addEventListener('input', function () {
    // case and diacritics do not matter: "pecovatelska" finds "Pečovatelská služba"
    var q = box.value.toLocaleLowerCase('cs').normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim(), n = 0;
    for (var i = 0; i < cards.length; i++) {
      var hit = !q || cards[i].getAttribute('data-search').indexOf(q) >= 0;
      cards[i].hidden = !hit; if (hit) n++;
    }
    count.textContent = q ? 'Nalezeno: ' + n : '';
  });
})();"""

PAPER_SIZES = ("A4", "A5")


class CatalogueError(Exception):
    """The catalogue cannot be made (no browser for the PDF, bad options)."""


@dataclass
class Entry:
    """One service in one form: one card of the catalogue."""

    number: int
    anchor: str
    key: tuple
    nazev: str
    poskytovatel: str
    ico: str
    registrovana: bool
    identifikator: str
    druh: str
    druh_code: str | None
    paragraf: str
    forma: str
    forma_code: str | None
    kapacita: str
    kapacita_value: Any
    typ_kapacity: str
    typ_kapacity_code: str | None
    obec: str
    kod_obce: str
    kod_orp: str
    nazev_orp: str
    adresa: str
    telefon: str
    email: str
    web: str
    web_href: str
    casovy_rozsah: str
    cilove_skupiny: list[tuple[str | None, str]]
    vekove_skupiny: list[tuple[str | None, str]]
    popis: str
    section: str = ""
    also_in: list[str] = field(default_factory=list)

    @property
    def search_text(self) -> str:
        parts = [self.nazev, self.poskytovatel, self.druh, self.paragraf, self.forma, self.obec, self.adresa,
                 self.popis, *(t for _, t in self.cilove_skupiny)]
        return search_key(" ".join(p for p in parts if p))


@dataclass
class Section:
    key: str
    label: str
    anchor: str
    entries: list[Entry] = field(default_factory=list)
    see_also: list[Entry] = field(default_factory=list)


@dataclass
class IndexItem:
    name: str
    note: str
    entries: list[Entry]
    anchor: str


@dataclass
class CatalogueModel:
    title: str
    territory: str
    year: Any
    generated: str
    sections: list[Section]
    entries: list[Entry]
    providers: list[IndexItem]
    municipalities: list[IndexItem]
    labels: dict[str, str]


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def catalogue_sections() -> list[dict[str, Any]]:
    """``[[catalogue.sections]]`` of spec.toml with labels resolved (key, label, codes)."""
    raw = tomllib.loads(resources.files("xlkpss.spec").joinpath("spec.toml").read_text(encoding="utf-8"))
    areas = {code: label for code, label in load_spec().codelists["oblasti_planovani"]["items"]}
    out = []
    for s in raw.get("catalogue", {}).get("sections", []):
        label = s.get("label") or areas[s["key"]]
        out.append({"key": s["key"], "label": label, "codes": [str(c) for c in s.get("cilove_skupiny", [])]})
    if not out:
        raise CatalogueError("spec.toml: chybí [[catalogue.sections]]")
    return out


def _text(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-") or "x"


def search_key(text: str) -> str:
    """Text as the search box compares it: lower case, without diacritics (the script
    does the same to what is typed)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tel_href(phone: str) -> str:
    """``tel:`` link of a phone number (digits and a leading +), or "" when it is none."""
    digits = re.sub(r"[\s\u00a0().-]", "", phone or "")
    return "tel:" + digits if re.fullmatch(r"\+?\d{6,15}", digits) else ""


def mailto_href(email: str) -> str:
    """``mailto:`` link of one e-mail address, or "" when it is not one."""
    email = (email or "").strip()
    return "mailto:" + email if re.fullmatch(r"[^@\s<>\"'?&]+@[^@\s<>\"'?&]+\.[A-Za-z]{2,}", email) else ""


def _web_href(web: str) -> str:
    """A safe link for a web address (only http/https; anything else: no link)."""
    if not web or re.search(r"\s", web):
        return ""
    if re.match(r"(?i)^https?://", web):
        return web
    if re.match(r"(?i)^[a-z][a-z0-9+.-]*:", web):
        return ""
    return "https://" + web


def _codes(listname: str, values: list[Any]) -> list[tuple[str | None, str]]:
    cl = codelist(listname)
    out: list[tuple[str | None, str]] = []
    for v in values:
        t = _text(v)
        if not t:
            continue
        item = cl.resolve(t)
        pair = (item.code, item.label) if item else (None, t)
        if pair not in out:
            out.append(pair)
    return out


def _resolve(listname: str, value: Any):
    t = _text(value)
    return codelist(listname).resolve(t) if t else None


def _in_territory(r: dict[str, Any], territory: str | None) -> bool:
    if not territory:
        return True
    t = normalize_key(territory)
    for k in ("kod_obce", "kod_orp", "kod_kraje", "nazev_obce", "nazev_orp", "nazev_kraje"):
        if normalize_key(_text(r.get(k))) == t:
            return True
    return False


def _entry(r: dict[str, Any]) -> Entry:
    druh = _resolve("druhy_sluzeb", r.get("druh"))
    forma = _resolve("formy", r.get("forma"))
    typ = _resolve("typy_kapacity", r.get("typ_kapacity"))
    reg = _text(r.get("registrovana")).lower() in ("ano", "1", "true", "yes")
    ident = _text(r.get("identifikator")) if reg else ""
    ico = _text(r.get("ico_poskytovatele"))
    kod_obce = _text(r.get("kod_obce"))
    obec = _text(r.get("nazev_obce")) or _text(r.get("obec"))
    forma_word = forma.label if forma else _text(r.get("forma"))
    if ident:
        key: tuple = ("id", ident, forma.code if forma else forma_word)
    else:
        key = ("ne", normalize_key(_text(r.get("nazev_sluzby"))), ico, forma.code if forma else forma_word, kod_obce)
    web = _text(r.get("web"))
    cap = r.get("kapacita")
    return Entry(
        number=0,
        anchor="",
        key=key,
        nazev=_text(r.get("nazev_sluzby")),
        poskytovatel=_text(r.get("poskytovatel")),
        ico=ico,
        registrovana=reg,
        identifikator=ident,
        druh=druh.label if druh else _text(r.get("druh")),
        druh_code=druh.code if druh else None,
        # an unregistered service is never shown with a § of the law (not „související – §66 …“)
        paragraf=druh.extra.get("paragraf", "") if druh and reg else "",
        forma=forma_word,
        forma_code=forma.code if forma else None,
        kapacita=fmt_number(cap) if not is_blank(cap) else "",
        kapacita_value=None if is_blank(cap) else cap,
        typ_kapacity=typ.label if typ else _text(r.get("typ_kapacity")),
        typ_kapacity_code=typ.code if typ else None,
        obec=obec,
        kod_obce=kod_obce,
        kod_orp=_text(r.get("kod_orp")),
        nazev_orp=_text(r.get("nazev_orp")),
        adresa=_text(r.get("adresa")),
        telefon=_text(r.get("telefon_sluzby")),
        email=_text(r.get("email_sluzby")),
        web=web,
        web_href=_web_href(web),
        casovy_rozsah=_text(r.get("casovy_rozsah")),
        cilove_skupiny=_codes("cilove_skupiny", [r.get(f"cilova_skupina_{n}") for n in range(1, 10)]),
        vekove_skupiny=_codes("vekove_skupiny", [r.get(f"vekova_skupina_{n}") for n in range(1, 10)]),
        popis=_text(r.get("popis_verejnost")),
    )


def _sections_of(e: Entry, sections: list[dict[str, Any]]) -> list[str]:
    """Section keys of an entry, in the order of its target groups (first = its card's)."""
    by_code = {code: s["key"] for s in sections for code in s["codes"]}
    last = sections[-1]["key"]
    out: list[str] = []
    for code, _ in e.cilove_skupiny:
        k = by_code.get(code or "", last)
        if k not in out:
            out.append(k)
    return out or [last]


def _sort_key(text: str) -> tuple:
    return czech_key(text)


def build_catalogue(c: Consolidated, *, title: str | None = None, territory: str | None = None) -> CatalogueModel:
    """The catalogue as plain data.  ``territory``: only services in this obec, ORP or kraj
    (code or name, e.g. ``563099``, ``Jirkov``, ``4203``)."""
    frame = c.table("services")
    rows = frame.to_dict("records") if len(frame) else []
    rows = [r for r in rows if _in_territory(r, territory)]
    if territory and not rows:
        raise CatalogueError(f"na území {territory!r} nejsou v sešitu žádné služby (kód nebo název obce, ORP či kraje)")
    spec_sections = catalogue_sections()
    seen: set[tuple] = set()
    entries: list[Entry] = []
    for r in rows:
        e = _entry(r)
        if e.key in seen:
            continue
        seen.add(e.key)
        entries.append(e)
    sections = [Section(key=s["key"], label=s["label"], anchor=f"oddil-{s['key']}") for s in spec_sections]
    for e in entries:
        keys = _sections_of(e, spec_sections)
        e.section = keys[0]
        e.also_in = keys[1:]
    number = 0
    for s in sections:
        s.entries = sorted((e for e in entries if e.section == s.key), key=lambda e: (_sort_key(e.nazev), e.forma, e.obec))
        for e in s.entries:
            number += 1
            e.number = number
            e.anchor = f"sluzba-{number}"
    for s in sections:
        s.see_also = sorted((e for e in entries if s.key in e.also_in), key=lambda e: e.number)
    sections = [s for s in sections if s.entries or s.see_also]
    entries.sort(key=lambda e: e.number)

    providers: dict[str, list[Entry]] = {}
    names: dict[str, str] = {}
    for e in entries:
        k = e.ico or normalize_key(e.poskytovatel)
        providers.setdefault(k, []).append(e)
        names.setdefault(k, e.poskytovatel)
    provider_index = [
        IndexItem(name=names[k], note=f"IČO {k}" if k.isdigit() else "", entries=v, anchor=f"poskytovatel-{i}")
        for i, (k, v) in enumerate(sorted(providers.items(), key=lambda kv: _sort_key(names[kv[0]])), start=1)
    ]
    places: dict[str, list[Entry]] = {}
    for e in entries:
        places.setdefault(e.obec or "–", []).append(e)
    muni_index = [
        IndexItem(name=k, note="", entries=v, anchor=f"obec-{_slug(k)}")
        for k, v in sorted(places.items(), key=lambda kv: _sort_key(kv[0]))
    ]

    meta = c.meta or {}
    terr_name = _text(meta.get("territory_name"))
    if terr_name and meta.get("level") == "orp":
        terr_name = f"ORP {terr_name}"
    if territory and rows:
        r0 = rows[0]
        t = normalize_key(territory)
        for code, name in (("kod_obce", "nazev_obce"), ("kod_orp", "nazev_orp"), ("kod_kraje", "nazev_kraje")):
            if t in (normalize_key(_text(r0.get(code))), normalize_key(_text(r0.get(name)))):
                terr_name = _text(r0.get(name))
                break
    spec = load_spec()
    lab = lambda key: spec.label("sluzby", key)
    labels = {
        k: lab(k)
        for k in ("identifikator", "registrovana", "nazev_sluzby", "poskytovatel", "druh", "forma", "kapacita",
                  "obec", "adresa", "telefon_sluzby", "email_sluzby", "web", "casovy_rozsah", "popis_verejnost")
    }
    labels["cilova_skupina"] = spec.template("sluzby").sheet("sluzby").group("cilova_skupina")[0].label.rsplit(" ", 1)[0]
    labels["vekova_skupina"] = spec.template("sluzby").sheet("sluzby").group("vekova_skupina")[0].label.rsplit(" ", 1)[0]
    year = meta.get("year")
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    return CatalogueModel(
        title=title or (f"Katalog sociálních služeb – {terr_name}" if terr_name else "Katalog sociálních služeb"),
        territory=terr_name,
        year=year,
        generated=fmt_date(meta.get("generated")),
        sections=sections,
        entries=entries,
        providers=provider_index,
        municipalities=muni_index,
        labels=labels,
    )


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def catalogue_html(model: CatalogueModel, *, paper: str = "A4") -> str:
    if paper not in PAPER_SIZES:
        raise CatalogueError(f"neznámý formát papíru {paper!r} (A4 nebo A5)")
    sections = {s.key: s for s in model.sections}
    return render_template(
        "catalogue.html.j2",
        m=model,
        section_labels={k: s.label for k, s in sections.items()},
        section_anchors={k: s.anchor for k, s in sections.items()},
        paper=paper,
        script=SEARCH_SCRIPT,
        script_hash=_script_hash(SEARCH_SCRIPT),
        tel_href=tel_href,
        mailto_href=mailto_href,
        version=__version__,
    )


def render_catalogue_html(model: CatalogueModel, path: str | os.PathLike, *, paper: str = "A4") -> Path:
    """Write the catalogue page (one self-contained HTML file) atomically."""
    text = catalogue_html(model, paper=paper)
    with atomic_path(Path(path)) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


# ---------------------------------------------------------------------------
# CSV (open data)
# ---------------------------------------------------------------------------


def _ids(prefix: str, pairs: list[tuple[str | None, str]]) -> str:
    return " | ".join(f"{prefix}/{c}" for c, _ in pairs if c)


def csv_rows(model: CatalogueModel) -> list[dict[str, Any]]:
    labels = {s.key: s.label for s in model.sections}
    rows = []
    for e in model.entries:
        rows.append({
            "identifikator": e.identifikator,
            "registrovana": "ano" if e.registrovana else "ne",
            "nazev": e.nazev,
            "poskytovatel.ico": e.ico,
            "poskytovatel.nazev": e.poskytovatel,
            "druhSocialniSluzby.id": f"DruhSocialniSluzby/{e.druh_code}" if e.druh_code and not is_related_type(e.druh_code) else "",
            "druhSocialniSluzby.nazev": e.druh.lower() if e.druh_code else e.druh,
            "paragraf": e.paragraf,
            "formy.forma.id": f"FormaSocialniSluzby/{e.forma_code}" if e.forma_code else "",
            "formy.forma.nazev": e.forma,
            "formy.kapacity.pocet": "" if e.kapacita_value is None else int(float(e.kapacita_value)),
            "formy.kapacity.typ.id": f"TypKapacitySocialniSluzby/{e.typ_kapacity_code}" if e.typ_kapacity_code else "",
            "formy.kapacity.typ.nazev": e.typ_kapacity,
            "formy.casoveRozsahy": e.casovy_rozsah,
            "adresa.obec.id": f"Obec/{e.kod_obce}" if e.kod_obce else "",
            "adresa.obec.nazev": e.obec,
            "adresa": e.adresa,
            "kodOrp": e.kod_orp,
            "nazevOrp": e.nazev_orp,
            "telefony": e.telefon,
            "emaily": e.email,
            "weby": e.web,
            "ciloveSkupiny.id": _ids("CilovaSkupinaOsoby", e.cilove_skupiny),
            "ciloveSkupiny.nazev": " | ".join(t for _, t in e.cilove_skupiny),
            "vekoveSkupiny.id": _ids("VekovaSkupinaOsoby", e.vekove_skupiny),
            "vekoveSkupiny.nazev": " | ".join(t for _, t in e.vekove_skupiny),
            "popis": e.popis,
            "oddil": labels.get(e.section, e.section),
            "rok": model.year if model.year is not None else "",
        })
    return rows


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"[+-]?\d[\d\s]*", value):
        return "'" + value
    return value


def write_catalogue_csv(model: CatalogueModel, path: str | os.PathLike) -> Path:
    """One row per service and form, columns ``CSV_COLUMNS`` (UTF-8 with BOM for Excel)."""
    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        w.writeheader()
        for row in csv_rows(model):
            w.writerow({k: _csv_safe(v) for k, v in row.items()})
    return Path(path)


# ---------------------------------------------------------------------------
# PDF through headless Chromium
# ---------------------------------------------------------------------------

#: flags of /work/shared/realclient/HOWTO.md §2: no GPU, no background traffic
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
    "--no-pdf-header-footer",
)


def chromium_executable() -> str | None:
    """Chromium or Chrome on this machine (``XLKPSS_CHROMIUM`` overrides the search)."""
    env = os.environ.get("XLKPSS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, timeout: float = 120) -> Path:
    """Print a local HTML file to PDF with headless Chromium (own temporary profile)."""
    exe = chromium_executable()
    if exe is None:
        raise CatalogueError(
            "Chromium není nainstalován, PDF nelze vytisknout. Nainstalujte balíček chromium "
            "(apt-get install chromium) nebo otevřete HTML katalog v prohlížeči a vytiskněte jej do PDF."
        )
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="xlkpss-chromium-") as profile, atomic_path(pdf_path) as tmp:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={Path(tmp).resolve()}",
               html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CatalogueError(f"Chromium netiskl PDF do {timeout:.0f} s") from None
        except OSError as exc:
            raise CatalogueError(f"Chromium nelze spustit ({exc})") from None
        if not Path(tmp).exists() or Path(tmp).stat().st_size == 0:
            raise CatalogueError(f"Chromium PDF nevytvořil (kód {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return pdf_path
