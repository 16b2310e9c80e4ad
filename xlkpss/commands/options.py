"""What several commands share about their options: the territory of ``--obec/--orp/--kraj``
(``TerritoryName``, one option type for every command that has them) and the progress bar on
stderr (click only; no library logic — names are resolved by ``xlkpss.codelists.find_territory``)."""

from __future__ import annotations

import sys

import click


class TerritoryName(click.ParamType):
    """``--obec`` / ``--orp`` / ``--kraj``: a code or a name (case and diacritics do not
    matter: ``--obec Údlice``, ``--orp chomutov``, ``--kraj "Ústecký kraj"``), converted to
    the code.  An ambiguous name is a Czech usage error listing the candidates with their
    codes; an unknown one suggests close matches (exit 2).  An obec name several obce carry
    is left to ``territory_scope``, which resolves it inside the --orp / --kraj given."""

    name = "KÓD|NÁZEV"

    def __init__(self, level: str) -> None:
        self.level = level

    def convert(self, value, param, ctx):
        from xlkpss.codelists import TerritoryError, find_territory

        if value is None or value == "":
            return value
        try:
            return find_territory(self.level, value).code
        except TerritoryError as exc:
            if exc.ambiguous and self.level == "obec":
                # „Nová Ves“ --orp Louny: resolved inside the ORP / kraj by territory_scope
                return " ".join(str(value).split())
            self.fail(exc.message(), param, ctx)


def territory_option(level: str, help: str):
    """The click option ``--<level>`` taking a code or name of that level (``TerritoryName``)."""
    return click.option(f"--{level}", type=TerritoryName(level), metavar="KÓD|NÁZEV", help=help)


def territory_scope(obec: str | None, orp: str | None, kraj: str | None):
    """The territory of --obec / --orp / --kraj, or a click usage error in Czech (exit 2)."""
    from xlkpss.codelists import TerritoryError, territory

    try:
        return territory(obec=obec, orp=orp, kraj=kraj)
    except TerritoryError as exc:
        raise click.BadParameter(exc.message(), param_hint=f"--{exc.level}") from None


def progress_callback(quiet: bool, label: str):
    """A progress callback for long runs (stderr), or None when quiet / few files."""
    if quiet or not sys.stderr.isatty():
        return None
    state = {"bar": None}

    def update(done: int, total: int) -> None:
        if total < 5:
            return
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            state["bar"].__enter__()
        bar = state["bar"]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update
