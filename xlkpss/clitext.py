"""Czech texts of the command line machinery (click's usage, errors and help options).

click marks its own texts for translation with :mod:`gettext` (``_("Usage:")``,
``ngettext(...)``), looked up when the text is needed.  :func:`install` replaces the
lookup in click's modules with this catalogue, so ``Usage:`` becomes ``Použití:`` and
``Error: Missing option '-o'`` becomes ``Chyba: Chybí volba '-o'``.  :func:`localize`
gives every argument and option of a command tree a Czech placeholder (``SOUBOR``,
``SLOŽKA``, ``ČÍSLO`` instead of click's ``FILE``, ``DIRECTORY``, ``INTEGER``) and
the Czech ``[VOLBY]`` / ``PŘÍKAZ [ARGUMENTY]...``.

:func:`set_language` switches to click's English texts (``--lang en``).  Only click is
imported here.
"""

from __future__ import annotations

import click

__all__ = ["CS", "CS_PLURAL", "CzechGroup", "install", "localize", "set_language", "translate"]

#: click's message → Czech
CS: dict[str, str] = {
    "Usage:": "Použití:",
    "Options": "Volby",
    "Commands": "Příkazy",
    "Positional arguments": "Argumenty",
    "Aborted!": "Přerušeno.",
    "deprecated": "zastaralé",
    "Missing command.": "Chybí příkaz.",
    "Value must be an iterable.": "Hodnota musí být seznam.",
    "env var: {var}": "proměnná prostředí: {var}",
    "default: {default}": "výchozí: {default}",
    "required": "povinné",
    "(dynamic)": "(určí se při spuštění)",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "Upozornění: příkaz {name!r} je zastaralý.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": "Upozornění: {name!r} je zastaralé.{extra_message}",
    "Do you want to continue?": "Chcete pokračovat?",
    "Confirm the action without prompting.": "Potvrdit bez dotazu.",
    "%(prog)s, version %(version)s": "%(prog)s, verze %(version)s",
    "Show the version and exit.": "Vypíše verzi programu a skončí.",
    "Show this message and exit.": "Vypíše tuto nápovědu a skončí.",
    "Missing argument": "Chybí argument",
    "unknown error": "neznámá chyba",
    "Invalid value for {param_hint}: {message}": "Neplatná hodnota {param_hint}: {message}",
    "Missing option": "Chybí volba",
    "Could not open file {filename!r}: {message}": "Soubor {filename!r} nelze otevřít: {message}",
    "Error: {message}": "Chyba: {message}",
    "Try '{command} {option}' for help.": "Nápověda: '{command} {option}'.",
    "Missing parameter": "Chybí údaj",
    "Missing parameter: {param_name}": "Chybí údaj: {param_name}",
    "No such option {name!r}.": "Volba {name!r} neexistuje.",
    "No such command {name!r}.": "Příkaz {name!r} neexistuje.",
    "Invalid value: {message}": "Neplatná hodnota: {message}",
    "Missing {param_type}": "Chybí {param_type}",
    "Invalid start character for option ({option})": "Volba musí začínat pomlčkou ({option})",
    "Option {name!r} does not take a value.": "Volba {name!r} nemá hodnotu.",
    "Argument {name!r} takes {nargs} values.": "Argument {name!r} má {nargs} hodnoty.",
    "Press any key to continue...": "Pokračujte stiskem libovolné klávesy…",
    "Repeat for confirmation": "Zopakujte pro potvrzení",
    "Error: The two entered values do not match.": "Chyba: zadané hodnoty se neshodují.",
    "Error: invalid input": "Chyba: neplatný vstup",
    "file": "soubor",
    "directory": "složka",
    "path": "cesta",
    "Choose from:\n\t{choices}": "Vyberte z:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} není v rozsahu {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} není ano/ne. Povolené hodnoty: {states}",
    "{value!r} is not a valid {number_type}.": "{value!r} není {number_type}.",
    "{value!r} is not a valid UUID.": "{value!r} není platné UUID.",
    "{name} {filename!r} is a file.": "{name} {filename!r} je soubor, čeká se složka.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} je složka, čeká se soubor.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} nelze číst.",
    "{name} {filename!r} is not writable.": "Do {filename!r} ({name}) nelze zapisovat.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} nelze spustit.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} neexistuje.",
}

#: click's plural messages (singular msgid) → Czech (one, several)
CS_PLURAL: dict[str, tuple[str, str]] = {
    "Got unexpected extra argument ({args})": ("Nadbytečný argument ({args})", "Nadbytečné argumenty ({args})"),
    "Takes {nargs} values but 1 was given.": ("Čeká {nargs} hodnoty, zadána 1.", "Čeká {nargs} hodnoty, zadáno {len}."),
    "Did you mean {possibility}?": ("Měli jste na mysli {possibility}?", "(Měli jste na mysli některou z: {possibilities}?)"),
    "Option {name!r} requires an argument.": ("Volba {name!r} potřebuje hodnotu.", "Volba {name!r} potřebuje {nargs} hodnoty."),
    "{value!r} is not {choice}.": ("{value!r} není {choice}.", "{value!r} není žádná z možností {choices}."),
    "{value!r} does not match the format {format}.": ("{value!r} neodpovídá tvaru {format}.", "{value!r} neodpovídá žádnému z tvarů {formats}."),
    "{len_type} values are required, but {len_value} was given.": (
        "Je třeba {len_type} hodnot, zadána {len_value}.",
        "Je třeba {len_type} hodnot, zadáno {len_value}.",
    ),
}

#: placeholders (metavars) by click type name
_METAVARS = {
    "celé číslo": "ČÍSLO",
    "číslo": "ČÍSLO",
    "integer": "ČÍSLO",
    "integer range": "ČÍSLO",
    "float": "ČÍSLO",
    "float range": "ČÍSLO",
    "text": "TEXT",
    "file": "SOUBOR",
    "soubor": "SOUBOR",
    "directory": "SLOŽKA",
    "složka": "SLOŽKA",
    "path": "CESTA",
    "cesta": "CESTA",
}
#: placeholders of arguments by parameter name (plural where the argument takes many)
_ARGUMENTS = {"paths": "SOUBORY", "workbook": "SEŠIT", "source": "SOUBOR", "path": "SOUBOR", "out_dir": "SLOŽKA"}

#: click's number types, named in their error messages
_TYPE_NAMES = {
    "IntParamType": ("celé číslo", "integer"),
    "IntRange": ("celé číslo", "integer range"),
    "FloatParamType": ("číslo", "float"),
    "FloatRange": ("číslo", "float range"),
}


class _LangName:
    """A type's ``name`` in the current language (a descriptor on click's type classes)."""

    def __init__(self, cs: str, en: str):
        self.cs, self.en = cs, en

    def __get__(self, obj, owner=None) -> str:
        return self.en if _state["lang"] == "en" else self.cs

_state = {"lang": "cs"}


def set_language(lang: str) -> None:
    """``cs`` (default) or ``en`` (click's own texts)."""
    _state["lang"] = "en" if lang == "en" else "cs"


def translate(message: str) -> str:
    if _state["lang"] == "en":
        return message
    return CS.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    if _state["lang"] != "en" and singular in CS_PLURAL:
        one, many = CS_PLURAL[singular]
        return one if n == 1 else many
    return singular if n == 1 else plural


def install() -> None:
    """Route click's gettext lookups through this catalogue (idempotent)."""
    import importlib

    for name in ("core", "exceptions", "types", "parser", "formatting", "decorators", "termui", "utils"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - another click layout
            continue
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
    # type names appear in messages ("'x' is not a valid integer range")
    for cls, (cs, en) in _TYPE_NAMES.items():
        getattr(click.types, cls).name = _LangName(cs, en)


def _metavar(param: click.Parameter) -> str | None:
    if isinstance(param.type, click.Choice | click.DateTime) or getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if isinstance(param, click.Argument):
        name = _ARGUMENTS.get(param.name or "") or _METAVARS.get(param.type.name, (param.name or "").upper())
        if param.nargs != 1:
            name += "..."
        return name if param.required else f"[{name}]"
    return _METAVARS.get(param.type.name)


def localize(command: click.Command) -> None:
    """Czech placeholders for every parameter of ``command`` and its subcommands."""
    command.options_metavar = "[VOLBY]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "PŘÍKAZ [ARGUMENTY]..."
        for sub in command.commands.values():
            localize(sub)
    for param in command.params:
        if param.metavar is None:
            param.metavar = _metavar(param)


class CzechGroup(click.Group):
    """The top-level group: every run starts in Czech (``--lang en`` switches later)."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        set_language("cs")
        return super().make_context(info_name, args, parent=parent, **extra)
