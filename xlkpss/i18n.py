"""Every message a person reads, in Czech (default) and English, in one catalogue.

Issue codes are stable identifiers (documented in the README); the texts may be
improved without breaking anyone who filters on codes.  Field labels never appear
here: they come from the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlkpss.spec import Field

LANGS = ("cs", "en")


@dataclass(frozen=True)
class IssueType:
    code: str
    severity: str  # "error" | "warning"
    title_cs: str
    title_en: str
    cs: str
    en: str


def _t(code, severity, title_cs, title_en, cs, en):
    return IssueType(code, severity, title_cs, title_en, cs, en)


#: The catalogue of issues.  ``{value}`` is the value found, ``{expected}`` what is expected.
ISSUES: dict[str, IssueType] = {
    t.code: t
    for t in [
        # --- whole file ---------------------------------------------------------------
        _t("file-not-found", "error", "Soubor nenalezen", "File not found",
           "Soubor neexistuje nebo jej nelze otevřít.", "The file does not exist or cannot be opened."),
        _t("file-empty", "error", "Prázdný soubor", "Empty file",
           "Soubor je prázdný (0 bajtů). Pošlete prosím znovu vyplněnou šablonu.",
           "The file is empty (0 bytes). Please send the filled template again."),
        _t("file-not-spreadsheet", "error", "Není to tabulka", "Not a spreadsheet",
           "Soubor není sešit Excelu ani LibreOffice ({value}). Uložte jej jako .xlsx.",
           "The file is not an Excel or LibreOffice workbook ({value}). Save it as .xlsx."),
        _t("file-archive", "error", "Archiv ZIP se sešity", "ZIP archive of workbooks",
           "Soubor je archiv ZIP, ne sešit ({value}). Rozbalte jej a sešity z něj vložte mezi ostatní soubory.",
           "The file is a ZIP archive, not a workbook ({value}). Unpack it and put its workbooks with the other files."),
        _t("file-encrypted", "error", "Soubor je zaheslovaný", "Encrypted file",
           "Sešit je chráněn heslem. Uložte jej prosím bez hesla (Soubor → Informace → Zamknout sešit → odebrat heslo).",
           "The workbook is password-protected. Please save it without a password."),
        _t("file-corrupt", "error", "Poškozený soubor", "Corrupt file",
           "Soubor je poškozený a nelze jej přečíst ({value}). Otevřete jej v Excelu/LibreOffice a uložte znovu jako .xlsx.",
           "The file is corrupt and cannot be read ({value}). Open it in Excel/LibreOffice and save it again as .xlsx."),
        _t("file-unsafe", "error", "Nebezpečný obsah", "Unsafe content",
           "Soubor obsahuje nebezpečnou konstrukci ({value}) a nebyl zpracován.",
           "The file contains an unsafe construct ({value}) and was not processed."),
        _t("file-too-large", "error", "Soubor je příliš velký", "File too large",
           "Soubor je příliš velký ({value}); nejvýše {expected}.",
           "The file is too large ({value}); at most {expected}."),
        _t("file-timeout", "error", "Čtení trvalo příliš dlouho", "Reading timed out",
           "Čtení souboru nebylo dokončeno do {expected} s; soubor je nejspíš poškozený.",
           "Reading the file did not finish within {expected} s; the file is probably corrupt."),
        _t("file-memory", "error", "Soubor je příliš náročný", "File needs too much memory",
           "Čtení souboru překročilo limit paměti; soubor je nejspíš poškozený nebo obsahuje obrovský list.",
           "Reading the file exceeded the memory limit; it is probably corrupt or has a huge sheet."),
        _t("not-our-template", "error", "Není to šablona xlkpss", "Not an xlkpss template",
           "Sešit není vyplněná šablona xlkpss (nenalezen list ani sloupce šablony). Stáhněte šablonu {expected}.",
           "The workbook is not a filled xlkpss template (no template sheet or columns found). Download the template {expected}."),
        _t("template-version-old", "error", "Stará verze šablony", "Old template version",
           "Soubor byl vyplněn ve staré verzi šablony ({value}), kterou již nelze přečíst. Stáhněte aktuální šablonu {expected}.",
           "The file uses an old template version ({value}) that can no longer be read. Download the current template {expected}."),
        _t("template-version-read", "warning", "Starší verze šablony", "Older template version",
           "Soubor je ve starší verzi šablony ({value}); byl přečten, chybějící sloupce jsou prázdné. Příště použijte {expected}.",
           "The file uses an older template version ({value}); it was read and missing columns are empty. Next time use {expected}."),
        _t("template-version-new", "error", "Novější verze šablony", "Newer template version",
           "Soubor je v novější verzi šablony ({value}), než zná tato verze xlkpss ({expected}). Aktualizujte xlkpss.",
           "The file uses a newer template version ({value}) than this xlkpss knows ({expected}). Update xlkpss."),
        _t("template-recognised-by-labels", "warning", "Šablona poznána podle nadpisů", "Template recognised by labels",
           "Skrytý list s verzí šablony chybí (data byla zřejmě vložena do jiného sešitu); šablona poznána podle nadpisů sloupců.",
           "The hidden version sheet is missing (data were probably pasted into another workbook); the template was recognised by its column labels."),
        _t("sheet-missing", "error", "Chybí list", "Missing sheet",
           "V sešitu chybí list „{expected}“ (ani jiný list s jeho sloupci).",
           "The workbook has no sheet „{expected}“ (nor another sheet with its columns)."),
        _t("sheet-renamed", "warning", "Přejmenovaný list", "Renamed sheet",
           "List „{expected}“ byl nalezen pod jménem „{value}“.",
           "Sheet „{expected}“ was found under the name „{value}“."),
        _t("sheet-copy", "error", "Řádky na kopii listu", "Rows on a copy of a sheet",
           "List „{value}“ je kopie listu „{expected}“ a {rows}. Přesuňte je na list „{expected}“ "
           "pod ostatní řádky a list „{value}“ smažte.",
           "Sheet „{value}“ is a copy of „{expected}“; its rows are not read. Move them to „{expected}“ "
           "below the others and delete „{value}“."),
        _t("column-missing", "error", "Chybí sloupec", "Missing column",
           "Na listu chybí sloupec „{column}“.", "The sheet has no column „{column}“."),
        _t("column-renamed", "warning", "Přejmenovaný sloupec", "Renamed column",
           "Sloupec „{value}“ se čte jako „{expected}“ (šablona jej jmenuje „{expected}“; název prosím neměňte).",
           "Column „{value}“ is read as „{expected}“ (the template's name for it; please keep it)."),
        _t("column-unknown", "warning", "Neznámý sloupec", "Unknown column",
           "Sloupec „{value}“ šablona nezná; jeho obsah se nezpracuje.",
           "The template does not know column „{value}“; its content is ignored."),
        _t("no-data", "warning", "Žádná data", "No data",
           "List neobsahuje žádné vyplněné řádky.", "The sheet has no filled rows."),
        _t("too-many-rows", "error", "Příliš mnoho řádků", "Too many rows",
           "List má příliš mnoho řádků ({value}), nejvýše {expected}; zbytek nebyl zpracován.",
           "The sheet has {value} rows, at most {expected}; the rest was not processed."),
        # --- one cell --------------------------------------------------------------------
        _t("required", "error", "Chybí povinná hodnota", "Required value missing",
           "Povinná hodnota chybí. Očekává se: {expected}.", "A required value is missing. Expected: {expected}."),
        _t("not-a-number", "error", "Není číslo", "Not a number",
           "„{value}“ není číslo. Očekává se: {expected}.", "„{value}“ is not a number. Expected: {expected}."),
        _t("not-an-integer", "error", "Není celé číslo", "Not a whole number",
           "„{value}“ není celé číslo. Očekává se: {expected}.", "„{value}“ is not a whole number. Expected: {expected}."),
        _t("not-a-date", "error", "Není datum", "Not a date",
           "„{value}“ není datum. Očekává se datum ve tvaru d. m. rrrr, např. 3. 9. 2026.",
           "„{value}“ is not a date. Expected a date like 3. 9. 2026."),
        _t("below-minimum", "error", "Hodnota je příliš malá", "Value too small",
           "Hodnota {value} je menší než dovolené minimum. Očekává se: {expected}.",
           "Value {value} is below the minimum. Expected: {expected}."),
        _t("above-maximum", "error", "Hodnota je příliš velká", "Value too large",
           "Hodnota {value} je větší než dovolené maximum. Očekává se: {expected}.",
           "Value {value} is above the maximum. Expected: {expected}."),
        _t("pattern-mismatch", "error", "Nesprávný tvar", "Wrong format",
           "„{value}“ nemá správný tvar. Očekává se: {expected}.", "„{value}“ has the wrong format. Expected: {expected}."),
        _t("too-long", "error", "Text je příliš dlouhý", "Text too long",
           "Text má {length} znaků, nejvýše {expected}.", "The text has {length} characters, at most {expected}."),
        _t("unknown-code", "error", "Hodnota není v číselníku", "Value not in code list",
           "„{value}“ není v seznamu „{expected}“.{suggestion}", "„{value}“ is not in the list „{expected}“.{suggestion}"),
        _t("ambiguous-code", "error", "Nejednoznačná hodnota", "Ambiguous value",
           "„{value}“ odpovídá více položkám seznamu „{expected}“; vyberte ze seznamu nebo uveďte kód.",
           "„{value}“ matches several items of „{expected}“; pick from the list or give the code."),
        _t("invalid-ico", "error", "Neplatné IČO", "Invalid IČO",
           "„{value}“ není platné IČO (8 číslic s kontrolní číslicí).",
           "„{value}“ is not a valid IČO (8 digits with a check digit)."),
        _t("invalid-service-id", "error", "Neplatný identifikátor služby", "Invalid service identifier",
           "„{value}“ není identifikátor služby z registru (7 číslic).",
           "„{value}“ is not a registry service identifier (7 digits)."),
        _t("invalid-email", "error", "Neplatný e-mail", "Invalid e-mail",
           "„{value}“ není platná e-mailová adresa.", "„{value}“ is not a valid e-mail address."),
        _t("invalid-phone", "error", "Neplatný telefon", "Invalid phone",
           "„{value}“ není telefonní číslo (9 číslic, případně s předvolbou +420).",
           "„{value}“ is not a phone number (9 digits, optionally with +420)."),
        _t("formula-error", "error", "Chyba ve vzorci", "Formula error",
           "Buňka obsahuje chybu vzorce {value}. Opravte vzorec nebo vepište hodnotu.",
           "The cell contains the formula error {value}. Fix the formula or type the value."),
        _t("total-row", "error", "Řádek součtů", "Row of totals",
           "„{value}“ je řádek součtů, ne záznam: do souhrnu se nezapočítá, součty spočítá souhrnný sešit sám. Řádek smažte.",
           "„{value}“ is a row of totals, not a record: it is not merged, the consolidated workbook sums the records itself. Delete the row."),
        _t("duplicate-row", "error", "Duplicitní řádek", "Duplicate row",
           "Hodnota „{value}“ se opakuje (už na řádku {expected}).",
           "Value „{value}“ is repeated (already on row {expected})."),
        _t("group-missing", "error", "Chybí cílová skupina", "No target group",
           "Vyplňte alespoň jednu hodnotu „{column}“.", "Fill at least one „{column}“."),
        _t("identifier-required", "error", "Chybí identifikátor", "Identifier missing",
           "Registrovaná služba musí mít identifikátor z registru (7 číslic). U neregistrované služby zvolte „ne“ ve sloupci Registrovaná služba.",
           "A registered service needs its 7-digit registry identifier. For an unregistered service choose „ne“."),
        _t("form-not-allowed", "error", "Forma není pro tento druh dovolena", "Form not allowed",
           "Forma „{value}“ není pro druh „{expected}“ podle zákona 108/2006 Sb. dovolena (dovoleno: {allowed}).",
           "Form „{value}“ is not allowed by law for „{expected}“ (allowed: {allowed})."),
        _t("beds-not-residential", "error", "Lůžka jen u pobytové formy", "Beds only for residential",
           "Kapacitu v lůžkách lze uvést jen u pobytové formy (zde „{forma}“).",
           "Capacity in beds is possible only for the residential form (here „{forma}“)."),
        _t("funding-exceeds-costs", "warning", "Zdroje převyšují náklady", "Funding exceeds costs",
           "Součet zdrojů financování {total} převyšuje náklady celkem {expected}.",
           "Funding sources {total} exceed total costs {expected}."),
        _t("outside-territory", "error", "Obec mimo území", "Municipality outside territory",
           "Obec „{value}“ nepatří do území {expected} uvedeného na listu Identifikace.",
           "Municipality „{value}“ is not in the territory {expected} declared on Identifikace."),
        _t("name-code-mismatch", "warning", "Název nesedí na kód obce", "Name does not fit the code",
           "Kód obce patří obci {expected}, ale předkladatel je „{value}“. Je kód obce správně? (Nepřevzali jste soubor jiné obce?)",
           "The code belongs to {expected}, but the submitter is „{value}“. Is the code right? (A file of another obec taken over?)"),
        _t("year-mismatch", "error", "Nesouhlasí rok", "Year mismatch",
           "Rok {value} nesouhlasí s očekávaným rokem {expected}.", "Year {value} does not match the expected year {expected}."),
        _t("submitter-incomplete", "error", "Neúplná identifikace", "Incomplete identification",
           "{expected}", "{expected}"),
        _t("none-declared-with-rows", "error", "Žádná služba, a přesto řádky", "No services, yet rows",
           "Je vybráno „{value}“ (na území nepůsobí žádná služba), ale list {expected} obsahuje služby. "
           "Buď u tohoto pole vyberte „ne“, nebo řádky služeb smažte.",
           "„{value}“ is chosen (no service on the territory), but the sheet {expected} lists services. "
           "Either choose „ne“ here or delete the service rows."),
        _t("none-typed-as-row", "error", "Místo služby text „žádná služba“", "„No service“ typed as a row",
           "„{value}“ není služba. Pokud na území nepůsobí žádná služba, vyberte u pole {expected} hodnotu „ano“ "
           "a tento řádek smažte.",
           "„{value}“ is not a service. If no service operates on the territory, choose „ano“ in the field "
           "{expected} and delete this row."),
        _t("related-type-registered", "error", "Registrovaná služba bez druhu podle zákona",
           "Registered service without a legal type",
           "„{value}“ může mít jen neregistrovaná související služba ({expected}). Registrovaná služba musí mít "
           "druh podle zákona 108/2006 Sb.",
           "„{value}“ is only for an unregistered related service ({expected}). A registered service needs a "
           "type under Act 108/2006 Coll."),
        _t("network-orp-outside-kraj", "error", "ORP mimo kraj sítě", "ORP outside the network's region",
           "ORP „{value}“ neleží v kraji {expected} uvedeném na listu Identifikace; síť kraje obsahuje jen jeho ORP.",
           "ORP „{value}“ is not in the region {expected} declared on Identifikace; a region's network holds only its ORP."),
        _t("network-related-type", "error", "Do sítě patří jen druhy podle zákona", "Only legal service types in the network",
           "„{value}“ do sítě nepatří: krajská síť obsahuje jen registrované sociální služby s druhem podle zákona "
           "108/2006 Sb.",
           "„{value}“ cannot be in the network: a region's network holds registered social services with a type "
           "under Act 108/2006 Coll. only."),
        _t("plan-parent-missing", "error", "Chybí nadřazená položka", "Parent item missing",
           "Položka {value} nemá nadřazenou položku {expected}; {counted}. Doplňte položku {expected}, nebo opravte číslo.",
           "Item {value} has no parent item {expected}; {counted}. Add item {expected} or correct the number."),
        _t("plan-level-depth", "error", "Úroveň neodpovídá číslu", "Level does not match number",
           "Úroveň „{value}“ sem nepatří: {expected}. Položka se v plnění plánu přesto započte.",
           "Level „{value}“ does not fit here: {expected}. The item is still counted in the plan's fulfilment."),
        _t("plan-done-no-value", "warning", "Splněno bez dosažené hodnoty", "Done without achieved value",
           "Položka je „splněno“, ale dosažená hodnota indikátoru není vyplněna.",
           "The item is „splněno“ but the achieved indicator value is empty."),
        _t("plan-overspent", "warning", "Čerpáno více než plánováno", "Spent more than planned",
           "Čerpáno {value} je více než plánovaný rozpočet {expected}.", "Spent {value} is more than the planned budget {expected}."),
        # --- dotazy: neobvyklé hodnoty proti srovnatelným službám (xlkpss.validate.peers) ---
        # the whole sentence (value, median, peers) is built by peers.Query.text
        _t("query-costs-per-unit", "warning", "Dotaz: neobvyklé náklady na jednotku kapacity",
           "Query: unusual costs per capacity unit", "{text}", "{text_en}"),
        _t("query-staff-per-unit", "warning", "Dotaz: neobvyklé úvazky na jednotku kapacity",
           "Query: unusual staff per capacity unit", "{text}", "{text_en}"),
        _t("query-users-per-unit", "warning", "Dotaz: neobvyklý počet uživatelů na jednotku kapacity",
           "Query: unusual users per capacity unit", "{text}", "{text_en}"),
        _t("query-funding-share", "warning", "Dotaz: neobvyklý podíl zdroje financování",
           "Query: unusual share of a funding source", "{text}", "{text_en}"),
        _t("query-capacity-change", "warning", "Dotaz: neobvyklá meziroční změna kapacity",
           "Query: unusual change of capacity", "{text}", "{text_en}"),
        _t("query-costs-change", "warning", "Dotaz: neobvyklá meziroční změna nákladů",
           "Query: unusual change of costs", "{text}", "{text_en}"),
        # --- registry import (xlkpss registry import rpss.json) ----------------------------
        _t("registry-malformed", "error", "Záznam registru nelze použít", "Unusable registry record",
           "Záznam registru nelze použít ({expected}); služba nebyla převzata.",
           "The registry record cannot be used ({expected}); the service was not taken."),
        _t("registry-unknown-code", "warning", "Neznámý kód v registru", "Unknown code in the registry",
           "Kód „{value}“ není v seznamu „{expected}“; údaj nebyl převzat.",
           "Code „{value}“ is not in the list „{expected}“; the value was not taken."),
        _t("registry-bad-value", "warning", "Nečitelná hodnota v registru", "Unreadable registry value",
           "Hodnota „{value}“ v údaji {expected} nemá očekávaný tvar; nebyla převzata.",
           "Value „{value}“ of {expected} does not have the expected form; it was not taken."),
        _t("registry-no-municipality", "warning", "Služba bez obce poskytování", "Service without municipality",
           "Služba {value} nemá v registru žádné místo poskytování s obcí; do území ji nelze zařadit.",
           "Service {value} has no place of provision with a municipality in the registry; it cannot be placed in a territory."),
        _t("registry-duplicate", "warning", "Služba v registru vícekrát", "Service listed twice",
           "Služba a forma {value} je v registru vícekrát; převzat záznam {expected}.",
           "Service and form {value} are listed more than once; the record {expected} was taken."),
    ]
}

SEVERITY_WORDS = {
    "cs": {"error": "chyba", "warning": "upozornění", "explained": "vysvětleno"},
    "en": {"error": "error", "warning": "warning", "explained": "explained"},
}

#: Short UI strings (CLI, reports, HTML).
UI: dict[str, dict[str, str]] = {
    "file": {"cs": "soubor", "en": "file"},
    "sheet": {"cs": "list", "en": "sheet"},
    "cell": {"cs": "buňka", "en": "cell"},
    "row_only": {"cs": "ř. {row}", "en": "row {row}"},  # an issue at a row whose column is missing
    "column": {"cs": "sloupec", "en": "column"},
    "value": {"cs": "hodnota", "en": "value"},
    "problem": {"cs": "problém", "en": "problem"},
    "severity": {"cs": "závažnost", "en": "severity"},
    "valid": {"cs": "v pořádku", "en": "valid"},
    "invalid": {"cs": "obsahuje chyby", "en": "has errors"},
    "did_you_mean": {"cs": " Měli jste na mysli „{s}“?", "en": " Did you mean „{s}“?"},
    "explained_suffix": {"cs": " (vysvětleno v komentáři)", "en": " (explained in the comment)"},
    "effect_file": {"cs": "tato chyba vyřadí celý soubor", "en": "this error rejects the whole file"},
    "effect_row": {"cs": "vyřadí řádek", "en": "excludes the row"},
    "effect_none": {"cs": "nic se nevyřadí", "en": "nothing is excluded"},
    "outcome_rejected": {"cs": " – soubor se odmítne, nesloučí se z něj nic", "en": " – the file is rejected, nothing of it is merged"},
    "outcome_rows": {"cs": " – nesloučí se {excluded_cs} s chybou", "en": " – {excluded} rows with an error are not merged"},
    "outcome_kept": {"cs": " – soubor se přijme, žádný řádek se pro chybu nevyřadí", "en": " – the file is accepted, no row is excluded for an error"},
    "totals": {
        "cs": "{files_cs}, {ok} v pořádku, {bad} s chybami{rejected_part}; {errors_cs}, {warnings} upozornění",
        "en": "{files} files, {ok} valid, {bad} with errors{rejected_part}; {errors} errors, {warnings} warnings",
    },
    "totals_rejected": {"cs": " (celý soubor se odmítne: {rejected})", "en": " (whole file rejected: {rejected})"},
    "file_total": {
        "cs": "{path}: {rows_cs}, {errors_cs}, {warnings} upozornění",
        "en": "{path}: {rows} rows, {errors} errors, {warnings} warnings",
    },
}


#: the Czech plural forms (1, 2–4, 0 and 5+) of the nouns the messages count — one place
ROWS = ("řádek", "řádky", "řádků")
ERRORS = ("chyba", "chyby", "chyb")
FILES = ("soubor", "soubory", "souborů")
SUBMITTERS = ("předkladatel", "předkladatelé", "předkladatelů")
#: after „z“ (genitive): „hlášeno 1 z 1 očekávané služby“, „z 5 očekávaných služeb“
OF_EXPECTED_SERVICES = ("očekávané služby", "očekávaných služeb", "očekávaných služeb")

_PLURALS = {"rows": ROWS, "errors": ERRORS, "files": FILES, "excluded": ROWS}


def plural_form(n: int, forms: tuple[str, str, str]) -> str:
    """The form for ``n``: ``forms`` are (1, 2–4, 0 and 5+) — also of a participle that
    agrees with the count (``("změněn", "změněny", "změněno")``)."""
    return forms[0] if n == 1 else forms[1] if 2 <= n <= 4 else forms[2]


def plural_cs(n: int, forms: tuple[str, str, str]) -> str:
    """Czech plural: 1 chyba, 2–4 chyby, 0 and 5+ chyb."""
    return f"{n} {plural_form(n, forms)}"


def ui(key: str, lang: str = "cs", **kw) -> str:
    text = UI[key].get(lang) or UI[key]["cs"]
    for name, forms in _PLURALS.items():
        if name in kw and isinstance(kw[name], int):
            kw[f"{name}_cs"] = plural_cs(kw[name], forms)
    return text.format(**kw) if kw else text


_TYPE_WORDS = {
    "cs": {
        "text": "text",
        "integer": "celé číslo",
        "decimal": "číslo",
        "money": "částka v Kč",
        "date": "datum (d. m. rrrr)",
        "code": "hodnota ze seznamu",
        "ico": "IČO (8 číslic)",
        "email": "e-mail",
        "phone": "telefon",
    },
    "en": {
        "text": "text",
        "integer": "whole number",
        "decimal": "number",
        "money": "amount in CZK",
        "date": "date (d. m. yyyy)",
        "code": "a value from the list",
        "ico": "IČO (8 digits)",
        "email": "e-mail",
        "phone": "phone",
    },
}


def format_number(value: float | None, decimals: int = 0) -> str:
    """Czech number format: 2 774 600 / 12,5 (non-breaking spaces)."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return text


def format_date(value) -> str:
    """Czech date: 3. 9. 2026 (empty for None)."""
    return f"{value.day}. {value.month}. {value.year}" if value else ""


def describe_field(f: Field, lang: str = "cs") -> str:
    """What a field accepts, in words ("celé číslo 0–100 000")."""
    words = _TYPE_WORDS[lang][f.type]
    if f.digits:
        words = f"{f.digits} číslic" if lang == "cs" else f"{f.digits} digits"
    if f.type == "code" and f.codelist:
        from xlkpss.codelists import codelist

        cl = codelist(f.codelist)
        if len(cl) <= 6:
            words = ", ".join(cl.displays())
        else:
            words = ("hodnota ze seznamu „{t}“" if lang == "cs" else "a value from the list „{t}“").format(t=cl.title)
    if f.min is not None and f.max is not None:
        words += f" {format_number(f.min)}–{format_number(f.max)}"
    elif f.min is not None:
        words += (" od " if lang == "cs" else " from ") + format_number(f.min)
    elif f.max is not None:
        words += (" nejvýše " if lang == "cs" else " at most ") + format_number(f.max)
    return words


def issue_text(code: str, lang: str = "cs", **params) -> str:
    it = ISSUES[code]
    template = it.cs if lang == "cs" else it.en
    params.setdefault("suggestion", "")
    params.setdefault("allowed", "")
    safe = _Blank({k: ("" if v is None else v) for k, v in params.items()})
    return template.format_map(safe)


class _Blank(dict):
    """Format parameters: a placeholder nobody filled reads as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


# --- files that cannot be written (xlkpss.fsutil.OutputError) ---------------------------

#: why an output (or a file) cannot be written: what happened, and what to do — Czech,
#: in a clerk's words.  ``{folder}`` is the folder of the file, ``{expected}`` a detail.
OUTPUT_PROBLEMS: dict[str, tuple[str, str]] = {
    "no-space": ("na disku není volné místo",
                 "Uvolněte místo na disku (smažte nepotřebné soubory) nebo uložte výstup na jiný disk."),
    "quota": ("je vyčerpáno místo na disku, které máte k dispozici",
              "Uvolněte místo nebo uložte výstup jinam; případně požádejte správce o větší prostor."),
    "read-only": ("složka {folder} je jen pro čtení",
                  "Uložte výstup do jiné složky, do které lze zapisovat."),
    "permission": ("do složky {folder} nemáte oprávnění zapisovat",
                   "Uložte výstup do jiné složky, nebo požádejte správce počítače o oprávnění."),
    "locked": ("soubor je zamčený nebo otevřený v jiném programu",
               "Zavřete jej (například v Excelu) a spusťte příkaz znovu."),
    "name-too-long": ("jméno souboru nebo cesta k němu je příliš dlouhá",
                      "Zvolte kratší jméno souboru nebo složku blíže začátku disku."),
    "folder-missing": ("složka {folder} neexistuje",
                       "Vytvořte ji, nebo zadejte cestu do existující složky."),
    "not-a-folder": ("{folder} není složka, ale soubor",
                     "Zadejte cestu do existující složky."),
    "is-directory": ("na tomto místě už je složka",
                     "Zadejte jméno souboru, například {expected}."),
    "is-file": ("na tomto místě už je soubor, ne složka",
                "Zadejte jméno složky, do které se mají soubory uložit."),
    "input": ("zápis by přepsal vstupní soubor",
              "Zvolte pro výstup jiné jméno."),
    "suffix": ("tento výstup se ukládá jako {expected}",
               "Zadejte jméno končící na {expected}."),
    "incomplete": ("soubor se nepodařilo zapsat celý ({expected})",
                   "Zkontrolujte místo na disku a spusťte příkaz znovu."),
    "io": ("disk ohlásil chybu zápisu",
           "Zkontrolujte disk nebo síťové připojení a spusťte příkaz znovu."),
    "missing-file": ("soubor neexistuje nebo byl mezitím smazán",
                     "Zkontrolujte cestu a spusťte příkaz znovu."),
    "no-read-permission": ("nemáte oprávnění jej číst",
                           "Požádejte správce počítače o oprávnění, nebo soubor zkopírujte jinam."),
    "other": ("systém operaci odmítl (chyba číslo {expected})",
              "Zkontrolujte cestu a oprávnění ke složce a spusťte příkaz znovu."),
}

OUTPUT_UNTOUCHED = "Dřívější soubor {name} zůstal beze změny."


def output_problem_text(reason: str, path: str, *, folder: str = "", expected: str = "",
                        untouched: bool = False, reading: bool = False) -> str:
    """„výstup X nelze uložit: na disku není volné místo. Uvolněte …“ (one Czech sentence pair)."""
    what, hint = OUTPUT_PROBLEMS.get(reason, OUTPUT_PROBLEMS["other"])
    fill = {"folder": folder, "expected": expected}
    head = f"soubor {path} nelze otevřít" if reading else f"výstup {path} nelze uložit"
    text = f"{head}: {what.format(**fill)}. {hint.format(**fill)}"
    if untouched:
        text += " " + OUTPUT_UNTOUCHED.format(name=path.rsplit("/", 1)[-1])
    return text
